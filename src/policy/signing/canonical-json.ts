// OPA's canonical form of a structured bundle file (data.json, .manifest):
// the text whose digest a bundle signature lists, so the signature holds
// whatever the whitespace or key order. Objects have their keys sorted by code
// point (Go's byte order of UTF-8), no whitespace anywhere, strings escaped as
// Go's encoder does without HTML escaping, and numbers kept as written
// (OPA decodes them as json.Number), so `1.0` and `1` hash differently.
import { CapgateError } from "../../errors.js";

/** The canonical text of JSON `text`; throws a bundle_error naming `file` when it is not JSON. */
export function canonicalJson(text: string, file: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    throw new CapgateError("bundle_error", `${file} is not valid JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  const reader = new Reader(text, file);
  try {
    const out = reader.value();
    reader.skipSpace();
    return out;
  } catch (e) {
    if (e instanceof RangeError) throw new CapgateError("bundle_error", `${file} is nested too deeply to check its digest`);
    throw e;
  }
}

/** Go's json encoder (SetEscapeHTML(false)) escapes what JSON.stringify does plus U+2028 and U+2029. */
export function encodeString(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Code point order, which is the byte order of the UTF-8 encodings Go sorts keys by. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A walk over text already known to be valid JSON, writing the canonical form as it goes. */
class Reader {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  skipSpace(): void {
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.i++;
    }
  }

  value(): string {
    this.skipSpace();
    const c = this.text[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return encodeString(this.string());
    for (const literal of ["true", "false", "null"]) {
      if (this.text.startsWith(literal, this.i)) {
        this.i += literal.length;
        return literal;
      }
    }
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    this.i += m![0].length;
    return m![0];
  }

  private object(): string {
    this.i++;
    // Later duplicates win, as in Go's decoder and JSON.parse, so what is hashed is what is loaded.
    const members = new Map<string, string>();
    this.skipSpace();
    if (this.text[this.i] === "}") {
      this.i++;
      return "{}";
    }
    for (;;) {
      this.skipSpace();
      const key = this.string();
      this.skipSpace();
      this.i++; // ':'
      members.delete(key);
      members.set(key, this.value());
      this.skipSpace();
      if (this.text[this.i++] === "}") break;
    }
    const keys = [...members.keys()].sort(compareCodePoints);
    return `{${keys.map((k) => `${encodeString(k)}:${members.get(k)!}`).join(",")}}`;
  }

  private array(): string {
    this.i++;
    const items: string[] = [];
    this.skipSpace();
    if (this.text[this.i] === "]") {
      this.i++;
      return "[]";
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.i++] === "]") break;
    }
    return `[${items.join(",")}]`;
  }

  private string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.text[this.i];
      if (c === "\\") this.i += 2;
      else if (c === '"') break;
      else this.i++;
    }
    this.i++;
    const s = JSON.parse(this.text.slice(start, this.i)) as string;
    // Go turns a lone surrogate into U+FFFD where JSON.parse keeps it: two texts the
    // loader reads differently would share a digest, so such a file is refused.
    if (LONE_SURROGATE.test(s)) throw new CapgateError("bundle_error", `${this.file} holds a lone UTF-16 surrogate escape, which has no canonical form`);
    return s;
  }
}
