// The emitter's static data: every byte a compiled policy needs at a fixed address
// (string constants and their value structs, number texts, file names, boolean
// values, the builtins()/entrypoints() JSON). Both linkers write it as one passive
// data segment, which the module's start function copies right after the runtime's
// own static data once memory is large enough; addresses are absolute.

import { VALUE_LAYOUT, VALUE_TYPE } from "../../wasm-abi/index.js";

const utf8 = new TextEncoder();

/** A byte region of the segment: its absolute address and byte length. */
export interface Span {
  addr: number;
  len: number;
}

export class StaticData {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private readonly textSpans = new Map<string, Span>();
  private readonly stringValues = new Map<string, number>();
  private readonly boolValues = new Map<boolean, number>();

  /** `base` is the absolute address of the segment's first byte. */
  constructor(readonly base: number) {}

  /** The segment's bytes. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Absolute address one past the last byte. */
  end(): number {
    return this.base + this.size;
  }

  /** Raw bytes at an address aligned to `align`. */
  add(bytes: Uint8Array, align = 1): number {
    const pad = (align - ((this.base + this.size) % align)) % align;
    if (pad > 0) this.push(new Uint8Array(pad));
    const addr = this.base + this.size;
    this.push(bytes);
    return addr;
  }

  /** UTF-8 text (deduplicated); `terminated` appends a NUL for C-style readers. */
  text(s: string, terminated = false): Span {
    const key = (terminated ? "z:" : "n:") + s;
    const seen = this.textSpans.get(key);
    if (seen) return seen;
    const body = utf8.encode(s);
    const bytes = terminated ? concat(body, new Uint8Array([0])) : body;
    const span = { addr: this.add(bytes), len: body.length };
    this.textSpans.set(key, span);
    return span;
  }

  /** A string value struct over the text, usable wherever a value pointer is. */
  stringValue(s: string): number {
    const seen = this.stringValues.get(s);
    if (seen !== undefined) return seen;
    const t = this.text(s);
    const v = new Uint8Array(VALUE_LAYOUT.string.size);
    const view = new DataView(v.buffer);
    view.setUint8(0, VALUE_TYPE.string);
    view.setUint32(VALUE_LAYOUT.string.len, t.len, true);
    view.setUint32(VALUE_LAYOUT.string.ptr, t.addr, true);
    const addr = this.add(v, 8);
    this.stringValues.set(s, addr);
    return addr;
  }

  /** A boolean value struct. */
  boolValue(b: boolean): number {
    const seen = this.boolValues.get(b);
    if (seen !== undefined) return seen;
    const v = new Uint8Array(VALUE_LAYOUT.boolean.size);
    v[0] = VALUE_TYPE.boolean;
    v[VALUE_LAYOUT.boolean.value] = b ? 1 : 0;
    const addr = this.add(v, 8);
    this.boolValues.set(b, addr);
    return addr;
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
