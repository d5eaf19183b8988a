// Semantic Versioning 2.0.0 built-ins.
//   semver.is_valid 1 | semver.compare 2
import { T_STRING, strLen, strPtr, capgate_boolean, capgate_number_int } from "../value";
import { compareBytes } from "../compare";
import { typeErr, builtinErr, isType } from "./common";

// Parse results: the three numbers and the pre-release range (build metadata is ignored).
let vMajor: u64 = 0;
let vMinor: u64 = 0;
let vPatch: u64 = 0;
let preStart: usize = 0;
let preLen: u32 = 0;

function isDigit(c: u32): bool { return c >= 48 && c <= 57; }
function isIdent(c: u32): bool { return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45; }

let numOut: u64 = 0;
/** A numeric part without leading zeros; returns the end index or -1. */
function num(p: usize, i: u32, n: u32): i32 {
  let s = i;
  let v: u64 = 0;
  while (i < n && isDigit(load<u8>(p + i))) {
    if (i - s >= 19) return -1;
    v = v * 10 + <u64>(load<u8>(p + i) - 48);
    i++;
  }
  if (i == s || (i - s > 1 && load<u8>(p + s) == 48)) return -1;
  numOut = v;
  return <i32>i;
}

/** Dot-separated identifiers from i up to a terminator; numeric ones must not have leading zeros when strict. */
function idents(p: usize, i: u32, n: u32, stop: u32, strictNumeric: bool): i32 {
  let start = i;
  while (true) {
    let s = i;
    let allDigits = true;
    while (i < n && load<u8>(p + i) != 46 && load<u8>(p + i) != stop) {
      let c = <u32>load<u8>(p + i);
      if (!isIdent(c)) return -1;
      if (!isDigit(c)) allDigits = false;
      i++;
    }
    if (i == s) return -1;
    if (strictNumeric && allDigits && i - s > 1 && load<u8>(p + s) == 48) return -1;
    if (i < n && load<u8>(p + i) == 46) { i++; continue; }
    break;
  }
  return i > start ? <i32>i : -1;
}

function parse(v: usize): bool {
  let p = strPtr(v), n = strLen(v);
  let i = num(p, 0, n);
  if (i < 0 || <u32>i >= n || load<u8>(p + i) != 46) return false;
  vMajor = numOut;
  i = num(p, <u32>i + 1, n);
  if (i < 0 || <u32>i >= n || load<u8>(p + i) != 46) return false;
  vMinor = numOut;
  i = num(p, <u32>i + 1, n);
  if (i < 0) return false;
  vPatch = numOut;
  preStart = 0;
  preLen = 0;
  if (<u32>i < n && load<u8>(p + i) == 45) {
    let s = <u32>i + 1;
    i = idents(p, s, n, 43, true);
    if (i < 0) return false;
    preStart = p + s;
    preLen = <u32>i - s;
  }
  if (<u32>i < n && load<u8>(p + i) == 43) {
    i = idents(p, <u32>i + 1, n, 0, false);
    if (i < 0) return false;
  }
  return <u32>i == n;
}

// Any value is accepted, as in OPA (topdown/semver.go): a non-string is not a valid version.
export function capgate_bi_semver_is_valid(v: usize): usize {
  return capgate_boolean(isType(v, T_STRING) && parse(v) ? 1 : 0);
}

// @ts-ignore: decorator
@inline function cmpU(a: u64, b: u64): i32 { return a < b ? -1 : a > b ? 1 : 0; }

function allDigits(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (!isDigit(load<u8>(p + i))) return false;
  return true;
}

function digitsValue(p: usize, n: u32): u64 {
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) v = v * 10 + <u64>(load<u8>(p + i) - 48);
  return v;
}

/** Compare pre-release strings by their dot-separated identifiers. */
function comparePre(a: usize, an: u32, b: usize, bn: u32): i32 {
  if (an == 0 || bn == 0) return an == bn ? 0 : an == 0 ? 1 : -1; // a release sorts after its pre-releases
  let i: u32 = 0, j: u32 = 0;
  while (i < an && j < bn) {
    let si = i, sj = j;
    while (i < an && load<u8>(a + i) != 46) i++;
    while (j < bn && load<u8>(b + j) != 46) j++;
    let da = allDigits(a + si, i - si), db = allDigits(b + sj, j - sj);
    let c: i32;
    if (da && db) c = cmpU(digitsValue(a + si, i - si), digitsValue(b + sj, j - sj));
    else if (da) c = -1;
    else if (db) c = 1;
    else c = compareBytes(a + si, i - si, b + sj, j - sj);
    if (c != 0) return c;
    i++; j++;
  }
  if (i >= an && j >= bn) return 0;
  return i >= an ? -1 : 1;
}

export function capgate_bi_semver_compare(a: usize, b: usize): usize {
  if (!isType(a, T_STRING)) return typeErr("semver.compare", 1, "string", a);
  if (!isType(b, T_STRING)) return typeErr("semver.compare", 2, "string", b);
  if (!parse(a)) return builtinErr("semver.compare", "operand 1: string is not a valid SemVer");
  let x0 = vMajor, x1 = vMinor, x2 = vPatch, xp = preStart, xl = preLen;
  if (!parse(b)) return builtinErr("semver.compare", "operand 2: string is not a valid SemVer");
  let c = cmpU(x0, vMajor);
  if (c == 0) c = cmpU(x1, vMinor);
  if (c == 0) c = cmpU(x2, vPatch);
  if (c == 0) c = comparePre(xp, xl, preStart, preLen);
  return capgate_number_int(<i64>c);
}
