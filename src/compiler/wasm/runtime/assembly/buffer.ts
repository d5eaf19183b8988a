// A growable byte buffer on the heap, used to build dumps and error messages.
// Layout: [0] data ptr, [4] len, [8] cap. Output text is UTF-8.
import { opa_malloc, realloc } from "./memory";

export function bufNew(cap: u32): usize {
  let b = opa_malloc(12);
  let c = max<u32>(cap, 16);
  store<u32>(b, <u32>opa_malloc(c));
  store<u32>(b, 0, 4);
  store<u32>(b, c, 8);
  return b;
}

// @ts-ignore: decorator
@inline export function bufData(b: usize): usize { return <usize>load<u32>(b); }
// @ts-ignore: decorator
@inline export function bufLen(b: usize): u32 { return load<u32>(b, 4); }

export function bufReserve(b: usize, extra: u32): usize {
  let len = load<u32>(b, 4);
  let cap = load<u32>(b, 8);
  if (len + extra > cap) {
    let ncap = max<u32>(cap << 1, len + extra);
    store<u32>(b, <u32>realloc(<usize>load<u32>(b), len, ncap));
    store<u32>(b, ncap, 8);
  }
  return <usize>load<u32>(b) + len;
}

export function bufByte(b: usize, c: u32): void {
  let p = bufReserve(b, 1);
  store<u8>(p, <u8>c);
  store<u32>(b, load<u32>(b, 4) + 1, 4);
}

export function bufBytes(b: usize, src: usize, n: u32): void {
  let p = bufReserve(b, n);
  memory.copy(p, src, n);
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

/** Append an ASCII AssemblyScript string literal. */
export function bufAscii(b: usize, s: string): void {
  let n = <u32>s.length;
  let p = bufReserve(b, n);
  let src = changetype<usize>(s);
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, <u8>load<u16>(src + (i << 1)));
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

export function bufU32(b: usize, v: u32): void {
  if (v >= 10) bufU32(b, v / 10);
  bufByte(b, 48 + v % 10);
}

/** NUL-terminate and return the text pointer. */
export function bufFinish(b: usize): usize {
  bufByte(b, 0);
  return bufData(b);
}
