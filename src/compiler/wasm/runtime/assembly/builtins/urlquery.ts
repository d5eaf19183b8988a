// URL query encoding built-ins, following Go's net/url (QueryEscape, ParseQuery,
// Values.Encode with keys in sorted order).
//   urlquery.encode 1 | urlquery.decode 1 | urlquery.encode_object 1 | urlquery.decode_object 1
import { opa_malloc } from "../memory";
import {
  T_STRING, T_ARRAY, T_OBJECT, T_SET, strLen, strPtr, arrLen, arrAt,
  capgate_string, capgate_array, capgate_object,
} from "../value";
import { tabLen, tabSort, tabFind, tabPut, entryAt, entryKey, entryValue } from "../table";
import { capgate_array_append } from "../collections";
import { bufNew, bufByte, bufBytes, bufData, bufLen } from "../buffer";
import { typeErr, builtinErr, isType } from "./common";

const HEX = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70]);

function unreserved(c: u32): bool {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95 || c == 46 || c == 126;
}

function escapeInto(b: usize, p: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    let c = <u32>load<u8>(p + i);
    if (unreserved(c)) bufByte(b, c);
    else if (c == 32) bufByte(b, 43);
    else {
      bufByte(b, 37);
      bufByte(b, load<u8>(HEX + (c >> 4)));
      bufByte(b, load<u8>(HEX + (c & 15)));
    }
  }
}

function hexVal(c: u32): i32 {
  if (c >= 48 && c <= 57) return <i32>(c - 48);
  if (c >= 97 && c <= 102) return <i32>(c - 87);
  if (c >= 65 && c <= 70) return <i32>(c - 55);
  return -1;
}

/** Unescape [p, p+n) into a new string value; 0 on a malformed escape. */
function unescape(p: usize, n: u32): usize {
  let out = opa_malloc(n);
  let o: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + i);
    if (c == 43) c = 32;
    else if (c == 37) {
      if (i + 2 >= n) return 0;
      let hi = hexVal(load<u8>(p + i + 1)), lo = hexVal(load<u8>(p + i + 2));
      if (hi < 0 || lo < 0) return 0;
      c = <u8>((hi << 4) | lo);
      i += 2;
    }
    store<u8>(out + o++, c);
  }
  return capgate_string(out, o);
}

export function capgate_bi_urlquery_encode(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("urlquery.encode", 1, "string", v);
  let b = bufNew(strLen(v) + 8);
  escapeInto(b, strPtr(v), strLen(v));
  return capgate_string(bufData(b), bufLen(b));
}

export function capgate_bi_urlquery_decode(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("urlquery.decode", 1, "string", v);
  let r = unescape(strPtr(v), strLen(v));
  return r != 0 ? r : builtinErr("urlquery.decode", "invalid URL escape");
}

function pair(b: usize, k: usize, v: usize): void {
  if (bufLen(b) > 0) bufByte(b, 38);
  escapeInto(b, strPtr(k), strLen(k));
  bufByte(b, 61);
  escapeInto(b, strPtr(v), strLen(v));
}

export function capgate_bi_urlquery_encode_object(o: usize): usize {
  if (!isType(o, T_OBJECT)) return typeErr("urlquery.encode_object", 1, "object", o);
  tabSort(o);
  let b = bufNew(64);
  let n = tabLen(o);
  for (let i: u32 = 0; i < n; i++) {
    let e = entryAt(o, i);
    let k = entryKey(e), v = entryValue(e);
    if (!isType(k, T_STRING)) return typeErr("urlquery.encode_object", 1, "object with string keys", o);
    if (isType(v, T_STRING)) pair(b, k, v);
    else if (isType(v, T_ARRAY)) {
      let m = arrLen(v);
      for (let j: u32 = 0; j < m; j++) {
        let x = arrAt(v, j);
        if (!isType(x, T_STRING)) return typeErr("urlquery.encode_object", 1, "object of strings, arrays or sets of strings", o);
        pair(b, k, x);
      }
    } else if (isType(v, T_SET)) {
      tabSort(v);
      let m = tabLen(v);
      for (let j: u32 = 0; j < m; j++) {
        let x = entryKey(entryAt(v, j));
        if (!isType(x, T_STRING)) return typeErr("urlquery.encode_object", 1, "object of strings, arrays or sets of strings", o);
        pair(b, k, x);
      }
    } else return typeErr("urlquery.encode_object", 1, "object of strings, arrays or sets of strings", o);
  }
  return capgate_string(bufData(b), bufLen(b));
}

export function capgate_bi_urlquery_decode_object(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("urlquery.decode_object", 1, "string", v);
  let r = capgate_object();
  let p = strPtr(v), n = strLen(v);
  let i: u32 = 0;
  while (i < n) {
    let s = i;
    while (i < n && load<u8>(p + i) != 38) i++;
    let e = i;
    i++;
    if (e == s) continue;
    let eq = s;
    while (eq < e && load<u8>(p + eq) != 61) eq++;
    let k = unescape(p + s, eq - s);
    let val = eq < e ? unescape(p + eq + 1, e - eq - 1) : capgate_string(p, 0);
    if (k == 0 || val == 0) return builtinErr("urlquery.decode_object", "invalid URL escape");
    let f = tabFind(r, k);
    let arr: usize;
    if (f == 0) { arr = capgate_array(1); tabPut(r, k, arr); }
    else arr = entryValue(f);
    capgate_array_append(arr, val);
  }
  return r;
}
