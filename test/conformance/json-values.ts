// JSON values with exact numbers, for judging OPA's cases as OPA's runner
// does: results and expectations are JSON (sets arrive as arrays, as
// rego.ResultSet gives them), numbers are compared by value ("1.0" equals "1",
// 9223372036854775809 stays itself) and rows are compared as a set.
import YAML, { isMap, isScalar, isSeq, type Node } from "yaml";

export type J = null | boolean | string | JNum | J[] | { [k: string]: J };

/** A number as its canonical decimal text (`digits e exponent`), so equal values have equal text. */
export class JNum {
  readonly canon: string;
  constructor(readonly text: string) {
    this.canon = canonicalNumber(text);
  }
}

export function canonicalNumber(text: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return text.trim();
  const frac = m[3] ?? "";
  let digits = ((m[2] ?? "") + frac).replace(/^0+/, "");
  if (digits === "") return "0";
  let exp = BigInt(m[4] ?? "0") - BigInt(frac.length);
  const kept = digits.replace(/0+$/, "");
  exp += BigInt(digits.length - kept.length);
  digits = kept;
  return `${m[1]}${digits}e${exp}`;
}

/** Parses JSON text keeping every number's text. */
export function parseJsonExact(text: string): J {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`bad JSON at ${i}: ${what} in ${text.slice(Math.max(0, i - 20), i + 20)}`);
  };
  const value = (): J => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: { [k: string]: J } = {};
      ws();
      if (text[i] === "}") return i++, out;
      for (;;) {
        ws();
        const k = value();
        if (typeof k !== "string") fail("object key");
        ws();
        if (text[i++] !== ":") fail("':'");
        out[k as string] = value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i++] === "}") return out;
        else fail("',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const out: J[] = [];
      ws();
      if (text[i] === "]") return i++, out;
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i++] === "]") return out;
        else fail("',' or ']'");
      }
    }
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("a value");
    i += m[0].length;
    return new JNum(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) fail("trailing text");
  return v;
}

/** A YAML node as JSON with exact numbers: mapping keys become strings, as Go's YAML-to-JSON reading does. */
export function fromYamlNode(n: unknown): J {
  if (n === null || n === undefined) return null;
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === "number" || typeof v === "bigint") {
      const src = (n as { srcToken?: { source?: string } }).srcToken?.source;
      return new JNum(src !== undefined && /^[-+]?[\d.]/.test(src) ? src.replace(/^\+/, "") : String(v));
    }
    if (v === null || typeof v === "boolean" || typeof v === "string") return v;
    return String(v);
  }
  if (isSeq(n)) return n.items.map(fromYamlNode);
  if (isMap(n)) {
    const out: { [k: string]: J } = {};
    for (const p of n.items) {
      const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
      out[k] = fromYamlNode(p.value);
    }
    return out;
  }
  throw new Error(`unexpected YAML node ${String((n as Node).toString())}`);
}

/** JSON text of a value, numbers as written. */
export function jsonText(v: J): string {
  if (v instanceof JNum) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(",")}]`;
  if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(",")}}`;
  return JSON.stringify(v);
}

/** A canonical text: equal values (numbers by value, object keys in any order) have equal keys. */
export function canonicalKey(v: J): string {
  if (v instanceof JNum) return `#${v.canon}`;
  if (Array.isArray(v)) return `[${v.map(canonicalKey).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const ks = Object.keys(v).sort();
    return `{${ks.map((k) => `${JSON.stringify(k)}:${canonicalKey(v[k]!)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

const rank = (v: J): number =>
  v === null ? 0 : typeof v === "boolean" ? 1 : v instanceof JNum ? 2 : typeof v === "string" ? 3 : Array.isArray(v) ? 4 : 5;

/** Rego's order over JSON values (numbers by value), for sort_bindings. */
export function compareJ(a: J, b: J): number {
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  if (a instanceof JNum) {
    const x = Number(a.text);
    const y = Number((b as JNum).text);
    return x < y ? -1 : x > y ? 1 : a.canon === (b as JNum).canon ? 0 : a.canon < (b as JNum).canon ? -1 : 1;
  }
  if (typeof a === "boolean" || typeof a === "string") return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  if (Array.isArray(a)) {
    const bb = b as J[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareJ(a[i]!, bb[i]!);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  if (a === null) return 0;
  const ao = a as { [k: string]: J };
  const bo = b as { [k: string]: J };
  const ka = Object.keys(ao).sort();
  const kb = Object.keys(bo).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    const c = compareJ(ao[ka[i]!]!, bo[kb[i]!]!);
    if (c !== 0) return c;
  }
  return ka.length - kb.length;
}

/** Parses a YAML text keeping source tokens, so numbers can be read exactly. */
export function parseYamlExact(text: string): YAML.Document.Parsed {
  return YAML.parseDocument(text, { keepSourceTokens: true, uniqueKeys: false });
}
