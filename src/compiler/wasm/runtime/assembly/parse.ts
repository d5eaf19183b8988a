// Parsers for JSON (opa_json_parse) and Rego value syntax (opa_value_parse: JSON
// plus sets `{1, 2}`, `set()` and non-string object keys). Strings without
// escapes and number literals point into the source text instead of copying it:
// the SDK keeps that text alive (below the heap pointer) as long as the value.
import { opa_malloc } from "./memory";
import {
  capgate_null, capgate_boolean, capgate_string, capgate_number_int, newNumberRefRaw,
  capgate_array, capgate_object, capgate_set,
} from "./value";
import { parseI64, lastParsedInt } from "./numbers";
import { capgate_array_append, capgate_set_add } from "./collections";
import { tabPut } from "./table";
import { utf8Encode } from "./utf8";

let src: usize = 0;
let end: usize = 0;
let pos: usize = 0;
let rego = false;
let failed = false;

// @ts-ignore: decorator
@inline function peek(): u32 { return pos < end ? <u32>load<u8>(pos) : 0xffffffff; }

function ws(): void {
  while (pos < end) {
    let c = load<u8>(pos);
    if (c == 32 || c == 9 || c == 10 || c == 13) pos++;
    else break;
  }
}

function word(w: string): bool {
  let n = <usize>w.length;
  if (pos + n > end) return false;
  let p = changetype<usize>(w);
  for (let i: usize = 0; i < n; i++) if (<u16>load<u8>(pos + i) != load<u16>(p + (i << 1))) return false;
  pos += n;
  return true;
}

function hex4(): i32 {
  if (pos + 4 > end) return -1;
  let v: i32 = 0;
  for (let i = 0; i < 4; i++) {
    let c = <i32>load<u8>(pos + i);
    let d: i32;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = (v << 4) | d;
  }
  pos += 4;
  return v;
}

function parseString(): usize {
  pos++; // opening quote
  let start = pos;
  let escapes = false;
  while (true) {
    if (pos >= end) { failed = true; return 0; }
    let c = load<u8>(pos);
    if (c == 34) break;
    if (c < 0x20) { failed = true; return 0; }
    if (c == 92) { escapes = true; pos += 2; continue; }
    pos++;
  }
  let rawEnd = pos;
  pos++; // closing quote
  if (!escapes) return capgate_string(start, <u32>(rawEnd - start));
  // Decoded text is never longer than its escaped source.
  let out = opa_malloc(rawEnd - start);
  let o = out;
  let p = start;
  let save = pos;
  while (p < rawEnd) {
    let c = load<u8>(p);
    if (c != 92) { store<u8>(o++, c); p++; continue; }
    let e = load<u8>(p + 1);
    p += 2;
    switch (e) {
      case 34: store<u8>(o++, 34); break;
      case 92: store<u8>(o++, 92); break;
      case 47: store<u8>(o++, 47); break;
      case 98: store<u8>(o++, 8); break;
      case 102: store<u8>(o++, 12); break;
      case 110: store<u8>(o++, 10); break;
      case 114: store<u8>(o++, 13); break;
      case 116: store<u8>(o++, 9); break;
      case 117: {
        pos = p;
        let cp = hex4();
        if (cp < 0) { failed = true; return 0; }
        p = pos;
        if (cp >= 0xd800 && cp < 0xdc00 && p + 6 <= rawEnd && load<u8>(p) == 92 && load<u8>(p + 1) == 117) {
          pos = p + 2;
          let lo = hex4();
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p = pos;
          }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
        o += utf8Encode(o, <u32>cp);
        break;
      }
      default: failed = true; return 0;
    }
  }
  pos = save;
  return capgate_string(out, <u32>(o - out));
}

function isDigit(c: u32): bool { return c >= 48 && c <= 57; }

function parseNumber(): usize {
  let start = pos;
  let integral = true;
  if (peek() == 45) pos++;
  if (!isDigit(peek())) { failed = true; return 0; }
  if (peek() == 48) pos++;
  else while (isDigit(peek())) pos++;
  if (peek() == 46) {
    integral = false;
    pos++;
    if (!isDigit(peek())) { failed = true; return 0; }
    while (isDigit(peek())) pos++;
  }
  let c = peek();
  if (c == 101 || c == 69) {
    integral = false;
    pos++;
    c = peek();
    if (c == 43 || c == 45) pos++;
    if (!isDigit(peek())) { failed = true; return 0; }
    while (isDigit(peek())) pos++;
  }
  let len = <u32>(pos - start);
  if (integral && parseI64(start, len)) return capgate_number_int(lastParsedInt());
  return newNumberRefRaw(start, len);
}

function parseValue(depth: u32): usize {
  if (depth > 10000) { failed = true; return 0; }
  ws();
  let c = peek();
  if (c == 34) return parseString();
  if (c == 123) return parseBrace(depth);
  if (c == 91) {
    pos++;
    let a = capgate_array(0);
    ws();
    if (peek() == 93) { pos++; return a; }
    while (true) {
      let v = parseValue(depth + 1);
      if (failed) return 0;
      capgate_array_append(a, v);
      ws();
      c = peek();
      if (c == 44) { pos++; continue; }
      if (c == 93) { pos++; return a; }
      failed = true;
      return 0;
    }
  }
  if (c == 45 || isDigit(c)) return parseNumber();
  if (word("true")) return capgate_boolean(1);
  if (word("false")) return capgate_boolean(0);
  if (word("null")) return capgate_null();
  if (rego && word("set()")) return capgate_set();
  failed = true;
  return 0;
}

function parseBrace(depth: u32): usize {
  pos++;
  ws();
  if (peek() == 125) { pos++; return capgate_object(); }
  let first = parseValue(depth + 1);
  if (failed) return 0;
  ws();
  if (peek() == 58) {
    if (!rego && load<u8>(first) != 4) { failed = true; return 0; }
    let o = capgate_object();
    let k = first;
    while (true) {
      pos++; // ':'
      let v = parseValue(depth + 1);
      if (failed) return 0;
      tabPut(o, k, v);
      ws();
      let c = peek();
      if (c == 125) { pos++; return o; }
      if (c != 44) { failed = true; return 0; }
      pos++;
      ws();
      if (peek() == 34) k = parseString();
      else if (rego) k = parseValue(depth + 1);
      else { failed = true; return 0; }
      if (failed) return 0;
      ws();
      if (peek() != 58) { failed = true; return 0; }
    }
  }
  if (!rego) { failed = true; return 0; }
  let s = capgate_set();
  capgate_set_add(s, first);
  while (true) {
    let c = peek();
    if (c == 125) { pos++; return s; }
    if (c != 44) { failed = true; return 0; }
    pos++;
    let v = parseValue(depth + 1);
    if (failed) return 0;
    capgate_set_add(s, v);
    ws();
  }
}

function run(ptr: usize, len: u32, isRego: bool): usize {
  src = ptr; end = ptr + len; pos = ptr; rego = isRego; failed = false;
  let v = parseValue(0);
  if (failed) return 0;
  ws();
  if (pos != end) return 0;
  return v;
}

export function opa_json_parse(ptr: usize, len: u32): usize { return run(ptr, len, false); }
export function opa_value_parse(ptr: usize, len: u32): usize { return run(ptr, len, true); }
