// Encoding built-ins.
//   base64.encode 1 | base64.decode 1 | base64.is_valid 1 | base64url.encode 1
//   base64url.encode_no_pad 1 | base64url.decode 1 | hex.encode 1 | hex.decode 1
import { opa_malloc } from "../memory";
import { T_STRING, strLen, strPtr, capgate_string, capgate_boolean } from "../value";
import { typeErr, builtinErr, isType } from "./common";

const STD = memory.data<u8>([
  65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
  97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,
  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 43, 47,
]);
const HEX = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

// @ts-ignore: decorator
@inline function sym(i: u32, url: bool): u8 {
  let c = load<u8>(STD + i);
  if (url) { if (c == 43) return 45; if (c == 47) return 95; }
  return c;
}

function encode(name: string, v: usize, url: bool, pad: bool): usize {
  if (!isType(v, T_STRING)) return typeErr(name, 1, "string", v);
  let p = strPtr(v), n = strLen(v);
  let out = opa_malloc(((n + 2) / 3) * 4);
  let o: u32 = 0;
  let i: u32 = 0;
  while (i + 3 <= n) {
    let w = (<u32>load<u8>(p + i) << 16) | (<u32>load<u8>(p + i + 1) << 8) | load<u8>(p + i + 2);
    store<u8>(out + o, sym(w >> 18, url));
    store<u8>(out + o + 1, sym((w >> 12) & 63, url));
    store<u8>(out + o + 2, sym((w >> 6) & 63, url));
    store<u8>(out + o + 3, sym(w & 63, url));
    o += 4; i += 3;
  }
  let rest = n - i;
  if (rest > 0) {
    let w = <u32>load<u8>(p + i) << 16;
    if (rest == 2) w |= <u32>load<u8>(p + i + 1) << 8;
    store<u8>(out + o++, sym(w >> 18, url));
    store<u8>(out + o++, sym((w >> 12) & 63, url));
    if (rest == 2) store<u8>(out + o++, sym((w >> 6) & 63, url));
    else if (pad) store<u8>(out + o++, 61);
    if (pad) store<u8>(out + o++, 61);
  }
  return capgate_string(out, o);
}

export function capgate_bi_base64_encode(v: usize): usize { return encode("base64.encode", v, false, true); }
export function capgate_bi_base64url_encode(v: usize): usize { return encode("base64url.encode", v, true, true); }
export function capgate_bi_base64url_encode_no_pad(v: usize): usize { return encode("base64url.encode_no_pad", v, true, false); }

function val(c: u32, url: bool): i32 {
  if (c >= 65 && c <= 90) return <i32>(c - 65);
  if (c >= 97 && c <= 122) return <i32>(c - 71);
  if (c >= 48 && c <= 57) return <i32>(c + 4);
  if (!url && c == 43) return 62;
  if (!url && c == 47) return 63;
  if (url && c == 45) return 62;
  if (url && c == 95) return 63;
  return -1;
}

let decodedOk = false;
/** Decode; padding is required for std and optional for url (as OPA does). */
function decode(p: usize, n: u32, url: bool): usize {
  decodedOk = false;
  let end = n;
  while (end > 0 && load<u8>(p + end - 1) == 61) end--;
  if (n - end > 2) return 0;
  if (!url && n % 4 != 0) return 0;
  if (url && n != end && n % 4 != 0) return 0;
  let out = opa_malloc((end / 4 + 1) * 3);
  let o: u32 = 0;
  let acc: u32 = 0, bits: u32 = 0;
  for (let i: u32 = 0; i < end; i++) {
    let d = val(load<u8>(p + i), url);
    if (d < 0) return 0;
    acc = (acc << 6) | <u32>d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(out + o++, <u8>(acc >> bits));
    }
  }
  if (bits >= 6) return 0; // a dangling single symbol
  decodedOk = true;
  return capgate_string(out, o);
}

export function capgate_bi_base64_decode(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("base64.decode", 1, "string", v);
  let r = decode(strPtr(v), strLen(v), false);
  return decodedOk ? r : builtinErr("base64.decode", "illegal base64 data");
}

export function capgate_bi_base64url_decode(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("base64url.decode", 1, "string", v);
  let r = decode(strPtr(v), strLen(v), true);
  return decodedOk ? r : builtinErr("base64url.decode", "illegal base64 data");
}

export function capgate_bi_base64_is_valid(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("base64.is_valid", 1, "string", v);
  decode(strPtr(v), strLen(v), false);
  return capgate_boolean(decodedOk ? 1 : 0);
}

export function capgate_bi_hex_encode(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("hex.encode", 1, "string", v);
  let p = strPtr(v), n = strLen(v);
  let out = opa_malloc(n * 2);
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + i);
    store<u8>(out + i * 2, load<u8>(HEX + (c >> 4)));
    store<u8>(out + i * 2 + 1, load<u8>(HEX + (c & 15)));
  }
  return capgate_string(out, n * 2);
}

function hexVal(c: u32): i32 {
  if (c >= 48 && c <= 57) return <i32>(c - 48);
  if (c >= 97 && c <= 102) return <i32>(c - 87);
  if (c >= 65 && c <= 70) return <i32>(c - 55);
  return -1;
}

export function capgate_bi_hex_decode(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("hex.decode", 1, "string", v);
  let p = strPtr(v), n = strLen(v);
  if (n % 2 != 0) return builtinErr("hex.decode", "encoding/hex: odd length hex string");
  let out = opa_malloc(n / 2);
  for (let i: u32 = 0; i < n; i += 2) {
    let hi = hexVal(load<u8>(p + i)), lo = hexVal(load<u8>(p + i + 1));
    if (hi < 0 || lo < 0) return builtinErr("hex.decode", "encoding/hex: invalid byte");
    store<u8>(out + i / 2, <u8>((hi << 4) | lo));
  }
  return capgate_string(out, n / 2);
}
