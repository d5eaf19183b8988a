// UTF-8 helpers: code point counting and decoding, used by string built-ins
// and by Len on strings (which counts code points, not bytes).

export function utf8Count(p: usize, n: u32): u32 {
  let c: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if ((load<u8>(p + i) & 0xc0) != 0x80) c++;
  return c;
}

/** Byte offset of code point index `cp` (n when past the end). */
export function utf8Offset(p: usize, n: u32, cp: u32): u32 {
  let seen: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u8>(p + i) & 0xc0) != 0x80) {
      if (seen == cp) return i;
      seen++;
    }
  }
  return n;
}

let decodedLen: u32 = 1;
/** Decode the code point at p (n bytes available); its byte length is in lastLen(). */
export function utf8Decode(p: usize, n: u32): u32 {
  let c = <u32>load<u8>(p);
  if (c < 0x80 || n < 2) { decodedLen = 1; return c; }
  if ((c & 0xe0) == 0xc0) { decodedLen = 2; return ((c & 0x1f) << 6) | (load<u8>(p + 1) & 0x3f); }
  if ((c & 0xf0) == 0xe0 && n >= 3) {
    decodedLen = 3;
    return ((c & 0x0f) << 12) | ((<u32>load<u8>(p + 1) & 0x3f) << 6) | (load<u8>(p + 2) & 0x3f);
  }
  if (n >= 4) {
    decodedLen = 4;
    return ((c & 0x07) << 18) | ((<u32>load<u8>(p + 1) & 0x3f) << 12) | ((<u32>load<u8>(p + 2) & 0x3f) << 6) | (load<u8>(p + 3) & 0x3f);
  }
  decodedLen = 1;
  return c;
}
export function lastLen(): u32 { return decodedLen; }

/** Encode code point cp at dst; returns bytes written (dst needs 4 bytes). */
export function utf8Encode(dst: usize, cp: u32): u32 {
  if (cp < 0x80) { store<u8>(dst, <u8>cp); return 1; }
  if (cp < 0x800) {
    store<u8>(dst, <u8>(0xc0 | (cp >> 6)));
    store<u8>(dst + 1, <u8>(0x80 | (cp & 0x3f)));
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(dst, <u8>(0xe0 | (cp >> 12)));
    store<u8>(dst + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(dst + 2, <u8>(0x80 | (cp & 0x3f)));
    return 3;
  }
  store<u8>(dst, <u8>(0xf0 | (cp >> 18)));
  store<u8>(dst + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(dst + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(dst + 3, <u8>(0x80 | (cp & 0x3f)));
  return 4;
}
