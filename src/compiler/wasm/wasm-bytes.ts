// The Wasm binary format at the level the direct linker needs: LEB128 in and out,
// a growable byte writer, a reader over a module's bytes, and a walk over one
// function body's instructions that rewrites function indices (a function import
// added in front of the runtime's own functions moves them all by the same amount).
import { CapgateError } from "../../errors.js";

export class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(b: Uint8Array): this {
    if (this.length + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  u32(n: number): this {
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      this.byte(b);
    } while (n !== 0);
    return this;
  }

  s32(n: number): this {
    return this.s64(BigInt(n | 0));
  }

  s64(v: bigint): this {
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  name(s: string): this {
    const b = utf8.encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** A vector or section body: its byte length, then the bytes. */
  sized(body: ByteWriter | Uint8Array): this {
    const b = body instanceof ByteWriter ? body.done() : body;
    return this.u32(b.length).bytes(b);
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + need));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export class ByteReader {
  constructor(
    readonly buf: Uint8Array,
    public at = 0,
    readonly end = buf.length,
  ) {}

  eof(): boolean {
    return this.at >= this.end;
  }

  byte(): number {
    if (this.at >= this.end) throw malformed("unexpected end");
    return this.buf[this.at++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw malformed("LEB128 too long");
    }
  }

  s32(): number {
    return Number(this.s64());
  }

  s64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 1n << shift;
        return result;
      }
      if (shift > 70n) throw malformed("LEB128 too long");
    }
  }

  skip(n: number): void {
    if (this.at + n > this.end) throw malformed("unexpected end");
    this.at += n;
  }

  take(n: number): Uint8Array {
    const start = this.at;
    this.skip(n);
    return this.buf.subarray(start, this.at);
  }

  name(): string {
    return utf8Decoder.decode(this.take(this.u32()));
  }
}

export function malformed(what: string): CapgateError {
  return new CapgateError("wasm_emit_error", `runtime.wasm is malformed: ${what}`);
}

/**
 * Copies the instructions from `r` up to and including the `end` that closes the
 * body (or constant expression) into `w`, passing every function index through
 * `fn`. Knows the immediates of the MVP, sign-extension, non-trapping
 * float-to-int, bulk memory and reference-type instructions (the runtime's features).
 */
export function copyInstructions(r: ByteReader, w: ByteWriter, fn: (index: number) => number): void {
  let depth = 1;
  const copyFrom = (start: number) => w.bytes(r.buf.subarray(start, r.at));
  while (depth > 0) {
    const start = r.at;
    const op = r.byte();
    if (op === 0x10 || op === 0x12 || op === 0xd2) {
      // call, return_call, ref.func
      w.byte(op).u32(fn(r.u32()));
      continue;
    }
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      blockType(r);
      depth++;
    } else if (op === 0x0b) {
      depth--;
    } else {
      skipImmediates(op, r);
    }
    copyFrom(start);
  }
}

function blockType(r: ByteReader): void {
  const b = r.buf[r.at];
  if (b === 0x40 || (b !== undefined && b >= 0x6f && b <= 0x7f)) r.skip(1);
  else r.s64(); // a type index
}

function skipImmediates(op: number, r: ByteReader): void {
  if (op <= 0x01 || op === 0x05 || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) return;
  if (op >= 0x45 && op <= 0xc4) return; // numeric and sign-extension instructions
  switch (op) {
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x20: // local.get/set/tee, global.get/set, table.get/set
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
      r.u32();
      return;
    case 0x0e: {
      // br_table
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x11: // call_indirect
    case 0x13:
      r.u32();
      r.u32();
      return;
    case 0x1c: {
      // select with types
      const n = r.u32();
      r.skip(n);
      return;
    }
    case 0x3f: // memory.size / grow
    case 0x40:
      r.u32();
      return;
    case 0x41:
      r.s64();
      return;
    case 0x42:
      r.s64();
      return;
    case 0x43:
      r.skip(4);
      return;
    case 0x44:
      r.skip(8);
      return;
    case 0xd0:
      r.skip(1);
      return;
    case 0xfc:
      prefixedImmediates(r.u32(), r);
      return;
  }
  if (op >= 0x28 && op <= 0x3e) {
    // loads and stores: memarg (alignment, offset)
    r.u32();
    r.u32();
    return;
  }
  throw malformed(`unknown opcode 0x${op.toString(16)} at byte ${r.at - 1}`);
}

function prefixedImmediates(sub: number, r: ByteReader): void {
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init
    case 12: // table.init
    case 14: // table.copy
    case 10: // memory.copy
      r.u32();
      r.u32();
      return;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow / size / fill
    case 16:
    case 17:
      r.u32();
      return;
  }
  throw malformed(`unknown opcode 0xfc ${sub} at byte ${r.at}`);
}
