// String built-ins (UTF-8; indexes count code points, as in OPA).
//   concat 2 | contains 2 | startswith 2 | endswith 2 | lower 1 | upper 1 | split 2
//   trim 2 | trim_left 2 | trim_right 2 | trim_prefix 2 | trim_suffix 2 | trim_space 1
//   replace 3 | indexof 2 | indexof_n 2 | substring 3 | strings.reverse 1 | strings.count 2
//   strings.any_prefix_match 2 | strings.any_suffix_match 2 | format_int 2 | to_number 1
//   strings.replace_n 2 | strings.split_n 3 | internal.template_string 1
import { opa_malloc } from "../memory";
import {
  T_STRING, T_ARRAY, T_SET, T_OBJECT, T_NUMBER, T_BOOLEAN, T_NULL, strLen, strPtr, arrLen, arrAt,
  capgate_string, capgate_array, capgate_boolean, capgate_number_int,
} from "../value";
import { tabLen, tabSort, entryAt, entryKey, entryValue } from "../table";
import { capgate_array_append } from "../collections";
import { numberAsInt, lastInt, numberToF64, parseF64, parseI64, lastParsedInt, numberFromF64 } from "../numbers";
import { utf8Count, utf8Offset, utf8Decode, lastLen, utf8Encode } from "../utf8";
import { casemap } from "~lib/util/casemap";
import { bufNew, bufBytes, bufData, bufLen, bufAscii } from "../buffer";
import { dumpMode, MODE_PRINT } from "../dump";
import { typeErr, builtinErr, isType } from "./common";
import { decOf, decTrim, decDigitCount, decExponent, decDigit, decIsNeg, MAX_DIGITS } from "../decimal";

// @ts-ignore: decorator
@inline function S(v: usize): bool { return isType(v, T_STRING); }

/** Byte index of needle in hay at or after `from`, or -1. */
function find(hp: usize, hn: u32, np: usize, nn: u32, from: u32): i32 {
  if (nn == 0) return <i32>from;
  if (nn > hn) return -1;
  let first = load<u8>(np);
  for (let i = from; i + nn <= hn; i++) {
    if (load<u8>(hp + i) == first && memory.compare(hp + i, np, nn) == 0) return <i32>i;
  }
  return -1;
}

function startsWith(a: usize, b: usize): bool {
  return strLen(b) <= strLen(a) && memory.compare(strPtr(a), strPtr(b), strLen(b)) == 0;
}

function endsWith(a: usize, b: usize): bool {
  let la = strLen(a), lb = strLen(b);
  return lb <= la && memory.compare(strPtr(a) + la - lb, strPtr(b), lb) == 0;
}

export function capgate_bi_concat(d: usize, c: usize): usize {
  if (!S(d)) return typeErr("concat", 1, "string", d);
  let isArr = isType(c, T_ARRAY);
  if (!isArr && !isType(c, T_SET)) return typeErr("concat", 2, "one of {array, set}", c);
  if (!isArr) tabSort(c);
  let n = isArr ? arrLen(c) : tabLen(c);
  let b = bufNew(64);
  for (let i: u32 = 0; i < n; i++) {
    let x = isArr ? arrAt(c, i) : entryKey(entryAt(c, i));
    if (!S(x)) return typeErr("concat", 2, "collection of strings", c);
    if (i > 0) bufBytes(b, strPtr(d), strLen(d));
    bufBytes(b, strPtr(x), strLen(x));
  }
  return capgate_string(bufData(b), bufLen(b));
}

export function capgate_bi_contains(a: usize, b: usize): usize {
  if (!S(a)) return typeErr("contains", 1, "string", a);
  if (!S(b)) return typeErr("contains", 2, "string", b);
  return capgate_boolean(find(strPtr(a), strLen(a), strPtr(b), strLen(b), 0) >= 0 ? 1 : 0);
}

export function capgate_bi_startswith(a: usize, b: usize): usize {
  if (!S(a)) return typeErr("startswith", 1, "string", a);
  if (!S(b)) return typeErr("startswith", 2, "string", b);
  return capgate_boolean(startsWith(a, b) ? 1 : 0);
}

export function capgate_bi_endswith(a: usize, b: usize): usize {
  if (!S(a)) return typeErr("endswith", 1, "string", a);
  if (!S(b)) return typeErr("endswith", 2, "string", b);
  return capgate_boolean(endsWith(a, b) ? 1 : 0);
}

/** Is cp a cased letter (it has a different lower- or upper-case form)? */
function cased(cp: u32): bool {
  return (<u32>casemap(cp, 0) & 0x1fffff) != cp || (<u32>casemap(cp, 1) & 0x1fffff) != cp;
}

function mapCase(name: string, v: usize, upper: bool): usize {
  if (!S(v)) return typeErr(name, 1, "string", v);
  let n = strLen(v), p = strPtr(v);
  // Simple (one-to-one) Unicode case mapping; a code point grows by at most 2 bytes.
  let out = opa_malloc(n * 2 + 4);
  let o: u32 = 0;
  let i: u32 = 0;
  let prev: u32 = 0;
  while (i < n) {
    let c = <u32>load<u8>(p + i);
    if (c < 0x80) {
      if (upper && c >= 97 && c <= 122) c -= 32;
      else if (!upper && c >= 65 && c <= 90) c += 32;
      store<u8>(out + o++, <u8>c);
      prev = c;
      i++;
      continue;
    }
    let cp = utf8Decode(p + i, n - i);
    i += lastLen();
    let m: u32;
    if (!upper && cp == 0x03a3) {
      // Greek capital sigma: final form at the end of a word.
      let next: u32 = i < n ? utf8Decode(p + i, n - i) : 0;
      m = prev != 0 && cased(prev) && (next == 0 || !cased(next)) ? 0x03c2 : 0x03c3;
    } else if (upper && cp == 0xdf) {
      m = cp; // ß has no single-code-point upper case in Unicode's simple mapping
    } else m = <u32>casemap(cp, upper ? 1 : 0) & 0x1fffff;
    o += utf8Encode(out + o, m);
    prev = cp;
  }
  return capgate_string(out, o);
}

export function capgate_bi_lower(v: usize): usize { return mapCase("lower", v, false); }
export function capgate_bi_upper(v: usize): usize { return mapCase("upper", v, true); }

/**
 * Go's strings.SplitN: at most `limit` pieces, the last holding the rest
 * (limit < 0: no limit). An empty separator splits between code points.
 */
function splitPieces(s: usize, d: usize, limit: i64): usize {
  let r = capgate_array(0);
  let p = strPtr(s), n = strLen(s), dn = strLen(d);
  let start: u32 = 0;
  while (limit < 0 || <i64>arrLen(r) < limit - 1) {
    let end: u32;
    if (dn == 0) {
      if (start >= n) break;
      utf8Decode(p + start, n - start);
      end = start + lastLen();
      if (end >= n) break;
      capgate_array_append(r, capgate_string(p + start, end - start));
      start = end;
      continue;
    }
    let j = find(p, n, strPtr(d), dn, start);
    if (j < 0) break;
    capgate_array_append(r, capgate_string(p + start, <u32>j - start));
    start = <u32>j + dn;
  }
  if (dn != 0 || start < n) capgate_array_append(r, capgate_string(p + start, n - start));
  return r;
}

export function capgate_bi_split(s: usize, d: usize): usize {
  if (!S(s)) return typeErr("split", 1, "string", s);
  if (!S(d)) return typeErr("split", 2, "string", d);
  return splitPieces(s, d, -1);
}

/** strings.split_n: a positive limit as Go's SplitN; a negative one keeps the last |limit| pieces. */
export function capgate_bi_strings_split_n(s: usize, d: usize, limit: usize): usize {
  if (!S(s)) return typeErr("strings.split_n", 1, "string", s);
  if (!S(d)) return typeErr("strings.split_n", 2, "string", d);
  if (!isType(limit, T_NUMBER)) return typeErr("strings.split_n", 3, "number", limit);
  if (!numberAsInt(limit)) return builtinErr("strings.split_n", "operand 3 must be an integer");
  let k = lastInt();
  if (k == 0) return capgate_array(0);
  if (k > 0) return splitPieces(s, d, k);
  let all = splitPieces(s, d, -1);
  let n = <i64>arrLen(all);
  if (-k >= n) return all;
  let r = capgate_array(<u32>(-k));
  for (let i = <u32>(n + k); i < <u32>n; i++) capgate_array_append(r, arrAt(all, i));
  return r;
}

/** Does code point cp occur in the cutset string? */
function inCutset(cut: usize, cp: u32): bool {
  let p = strPtr(cut), n = strLen(cut);
  let i: u32 = 0;
  while (i < n) {
    let c = utf8Decode(p + i, n - i);
    if (c == cp) return true;
    i += lastLen();
  }
  return false;
}

/** Length in bytes of the code point ending at byte index `end` (exclusive). */
function prevLen(p: usize, end: u32): u32 {
  let i = end - 1;
  while (i > 0 && (load<u8>(p + i) & 0xc0) == 0x80) i--;
  return end - i;
}

function trimCut(name: string, s: usize, cut: usize, left: bool, right: bool): usize {
  if (!S(s)) return typeErr(name, 1, "string", s);
  if (!S(cut)) return typeErr(name, 2, "string", cut);
  let p = strPtr(s);
  let lo: u32 = 0, hi = strLen(s);
  if (left) {
    while (lo < hi) {
      let c = utf8Decode(p + lo, hi - lo);
      if (!inCutset(cut, c)) break;
      lo += lastLen();
    }
  }
  if (right) {
    while (hi > lo) {
      let l = prevLen(p, hi);
      let c = utf8Decode(p + hi - l, l);
      if (!inCutset(cut, c)) break;
      hi -= l;
    }
  }
  return capgate_string(p + lo, hi - lo);
}

export function capgate_bi_trim(s: usize, c: usize): usize { return trimCut("trim", s, c, true, true); }
export function capgate_bi_trim_left(s: usize, c: usize): usize { return trimCut("trim_left", s, c, true, false); }
export function capgate_bi_trim_right(s: usize, c: usize): usize { return trimCut("trim_right", s, c, false, true); }

export function capgate_bi_trim_prefix(s: usize, x: usize): usize {
  if (!S(s)) return typeErr("trim_prefix", 1, "string", s);
  if (!S(x)) return typeErr("trim_prefix", 2, "string", x);
  if (!startsWith(s, x)) return s;
  return capgate_string(strPtr(s) + strLen(x), strLen(s) - strLen(x));
}

export function capgate_bi_trim_suffix(s: usize, x: usize): usize {
  if (!S(s)) return typeErr("trim_suffix", 1, "string", s);
  if (!S(x)) return typeErr("trim_suffix", 2, "string", x);
  if (!endsWith(s, x)) return s;
  return capgate_string(strPtr(s), strLen(s) - strLen(x));
}

function isSpace(c: u32): bool {
  return c == 32 || (c >= 9 && c <= 13) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

export function capgate_bi_trim_space(s: usize): usize {
  if (!S(s)) return typeErr("trim_space", 1, "string", s);
  let p = strPtr(s);
  let lo: u32 = 0, hi = strLen(s);
  while (lo < hi) { let c = utf8Decode(p + lo, hi - lo); if (!isSpace(c)) break; lo += lastLen(); }
  while (hi > lo) { let l = prevLen(p, hi); let c = utf8Decode(p + hi - l, l); if (!isSpace(c)) break; hi -= l; }
  return capgate_string(p + lo, hi - lo);
}

export function capgate_bi_replace(s: usize, o: usize, n: usize): usize {
  if (!S(s)) return typeErr("replace", 1, "string", s);
  if (!S(o)) return typeErr("replace", 2, "string", o);
  if (!S(n)) return typeErr("replace", 3, "string", n);
  let p = strPtr(s), len = strLen(s), on = strLen(o);
  let b = bufNew(len + 16);
  if (on == 0) {
    // Go's ReplaceAll with an empty old string inserts `new` around every code point.
    bufBytes(b, strPtr(n), strLen(n));
    let i: u32 = 0;
    while (i < len) {
      utf8Decode(p + i, len - i);
      let l = lastLen();
      bufBytes(b, p + i, l);
      bufBytes(b, strPtr(n), strLen(n));
      i += l;
    }
    return capgate_string(bufData(b), bufLen(b));
  }
  let start: u32 = 0;
  while (true) {
    let j = find(p, len, strPtr(o), on, start);
    if (j < 0) break;
    bufBytes(b, p + start, <u32>j - start);
    bufBytes(b, strPtr(n), strLen(n));
    start = <u32>j + on;
  }
  bufBytes(b, p + start, len - start);
  return capgate_string(bufData(b), bufLen(b));
}

export function capgate_bi_indexof(s: usize, x: usize): usize {
  if (!S(s)) return typeErr("indexof", 1, "string", s);
  if (!S(x)) return typeErr("indexof", 2, "string", x);
  // OPA refuses an empty needle (topdown/strings.go builtinIndexOf).
  if (strLen(x) == 0) return builtinErr("indexof", "empty search character");
  let j = find(strPtr(s), strLen(s), strPtr(x), strLen(x), 0);
  if (j < 0) return capgate_number_int(-1);
  return capgate_number_int(<i64>utf8Count(strPtr(s), <u32>j));
}

export function capgate_bi_indexof_n(s: usize, x: usize): usize {
  if (!S(s)) return typeErr("indexof_n", 1, "string", s);
  if (!S(x)) return typeErr("indexof_n", 2, "string", x);
  if (strLen(x) == 0) return builtinErr("indexof_n", "empty search character");
  let r = capgate_array(0);
  let p = strPtr(s), n = strLen(s);
  let from: u32 = 0;
  while (from <= n) {
    let j = find(p, n, strPtr(x), strLen(x), from);
    if (j < 0) break;
    capgate_array_append(r, capgate_number_int(<i64>utf8Count(p, <u32>j)));
    from = <u32>j + 1;
  }
  return r;
}

export function capgate_bi_substring(s: usize, off: usize, len: usize): usize {
  if (!S(s)) return typeErr("substring", 1, "string", s);
  if (!isType(off, T_NUMBER) || !numberAsInt(off)) return typeErr("substring", 2, "integer", off);
  let o = lastInt();
  if (!isType(len, T_NUMBER) || !numberAsInt(len)) return typeErr("substring", 3, "integer", len);
  let l = lastInt();
  if (o < 0) return builtinErr("substring", "negative offset");
  let p = strPtr(s), n = strLen(s);
  let total = <i64>utf8Count(p, n);
  if (o >= total) return capgate_string(p, 0);
  let b0 = utf8Offset(p, n, <u32>o);
  let b1 = l < 0 || o + l >= total ? n : utf8Offset(p, n, <u32>(o + l));
  return capgate_string(p + b0, b1 - b0);
}

export function capgate_bi_strings_reverse(s: usize): usize {
  if (!S(s)) return typeErr("strings.reverse", 1, "string", s);
  let p = strPtr(s), n = strLen(s);
  let out = opa_malloc(n);
  let i: u32 = 0;
  while (i < n) {
    utf8Decode(p + i, n - i);
    let l = lastLen();
    memory.copy(out + n - i - l, p + i, l);
    i += l;
  }
  return capgate_string(out, n);
}

export function capgate_bi_strings_count(s: usize, x: usize): usize {
  if (!S(s)) return typeErr("strings.count", 1, "string", s);
  if (!S(x)) return typeErr("strings.count", 2, "string", x);
  let p = strPtr(s), n = strLen(s), xn = strLen(x);
  if (xn == 0) return capgate_number_int(<i64>utf8Count(p, n) + 1);
  let c: i64 = 0;
  let from: u32 = 0;
  while (true) {
    let j = find(p, n, strPtr(x), xn, from);
    if (j < 0) break;
    c++;
    from = <u32>j + xn;
  }
  return capgate_number_int(c);
}

function anyMatch(name: string, s: usize, x: usize, prefix: bool): usize {
  let ss = S(s), xs = S(x);
  let sc = isType(s, T_ARRAY) || isType(s, T_SET), xc = isType(x, T_ARRAY) || isType(x, T_SET);
  if (!ss && !sc) return typeErr(name, 1, "one of {string, array, set}", s);
  if (!xs && !xc) return typeErr(name, 2, "one of {string, array, set}", x);
  let ns: u32 = ss ? 1 : isType(s, T_ARRAY) ? arrLen(s) : tabLen(s);
  let nx: u32 = xs ? 1 : isType(x, T_ARRAY) ? arrLen(x) : tabLen(x);
  for (let i: u32 = 0; i < ns; i++) {
    let a = ss ? s : isType(s, T_ARRAY) ? arrAt(s, i) : entryKey(entryAt(s, i));
    if (!S(a)) return typeErr(name, 1, "collection of strings", s);
    for (let j: u32 = 0; j < nx; j++) {
      let b = xs ? x : isType(x, T_ARRAY) ? arrAt(x, j) : entryKey(entryAt(x, j));
      if (!S(b)) return typeErr(name, 2, "collection of strings", x);
      if (prefix ? startsWith(a, b) : endsWith(a, b)) return capgate_boolean(1);
    }
  }
  return capgate_boolean(0);
}

export function capgate_bi_strings_any_prefix_match(s: usize, x: usize): usize { return anyMatch("strings.any_prefix_match", s, x, true); }
export function capgate_bi_strings_any_suffix_match(s: usize, x: usize): usize { return anyMatch("strings.any_suffix_match", s, x, false); }

const DIGITS = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

export function capgate_bi_format_int(v: usize, base: usize): usize {
  if (!isType(v, T_NUMBER)) return typeErr("format_int", 1, "number", v);
  if (!isType(base, T_NUMBER) || !numberAsInt(base)) return typeErr("format_int", 2, "one of {2, 8, 10, 16}", base);
  let bs = lastInt();
  if (bs != 2 && bs != 8 && bs != 10 && bs != 16) return builtinErr("format_int", "operand 2 must be one of {2, 8, 10, 16}");
  if (!numberAsInt(v)) return formatBig(v, <u32>bs);
  let x = lastInt();
  let neg = x < 0;
  let u: u64 = neg ? <u64>(-x) : <u64>x;
  let tmp = opa_malloc(72);
  let i: u32 = 72;
  do {
    i--;
    store<u8>(tmp + i, load<u8>(DIGITS + <usize>(u % <u64>bs)));
    u /= <u64>bs;
  } while (u != 0);
  if (neg) { i--; store<u8>(tmp + i, 45); }
  return capgate_string(tmp + i, 72 - i);
}

/** format_int of a number past int64 or with a fraction: its integer part (toward zero), exactly, in base bs. */
function formatBig(v: usize, bs: u32): usize {
  let d = decOf(v);
  if (d == 0) return builtinErr("format_int", "operand 1 must be a finite number");
  d = decTrim(d);
  let k = decDigitCount(d) + decExponent(d); // digits of the integer part
  if (k <= 0) return capgate_string(memory.data<u8>([48]), 1);
  if (k > MAX_DIGITS) return builtinErr("format_int", "operand 1 is too large");
  // The integer part's decimal digits, then repeated division by the base.
  let work = opa_malloc(<usize>k);
  for (let i: i32 = 0; i < k; i++) store<u8>(work + <usize>i, i < decDigitCount(d) ? <u8>decDigit(d, i) : 0);
  let out = opa_malloc(<usize>k * 4 + 2);
  let o = <usize>k * 4 + 2;
  let start: i32 = 0;
  while (start < k) {
    let rem: u32 = 0;
    for (let i = start; i < k; i++) {
      let cur = rem * 10 + <u32>load<u8>(work + <usize>i);
      store<u8>(work + <usize>i, <u8>(cur / bs));
      rem = cur % bs;
    }
    store<u8>(out + --o, load<u8>(DIGITS + <usize>rem));
    while (start < k && load<u8>(work + <usize>start) == 0) start++;
  }
  if (decIsNeg(d)) store<u8>(out + --o, 45);
  return capgate_string(out + o, <u32>(<usize>k * 4 + 2 - o));
}

/** Is [p, p+n) a JSON-style number literal (optionally signed, decimal, exponent)? */
function isNumberText(p: usize, n: u32): bool {
  let i: u32 = 0;
  if (i < n && (load<u8>(p) == 45 || load<u8>(p) == 43)) i++;
  let digits: u32 = 0;
  while (i < n && load<u8>(p + i) >= 48 && load<u8>(p + i) <= 57) { i++; digits++; }
  if (i < n && load<u8>(p + i) == 46) {
    i++;
    while (i < n && load<u8>(p + i) >= 48 && load<u8>(p + i) <= 57) { i++; digits++; }
  }
  if (digits == 0) return false;
  if (i < n && (load<u8>(p + i) == 101 || load<u8>(p + i) == 69)) {
    i++;
    if (i < n && (load<u8>(p + i) == 45 || load<u8>(p + i) == 43)) i++;
    let ed: u32 = 0;
    while (i < n && load<u8>(p + i) >= 48 && load<u8>(p + i) <= 57) { i++; ed++; }
    if (ed == 0) return false;
  }
  return i == n;
}

export function capgate_bi_to_number(v: usize): usize {
  if (v == 0) return 0;
  let t = load<u8>(v);
  if (t == T_NUMBER) return v;
  if (t == T_NULL) return capgate_number_int(0);
  if (t == T_BOOLEAN) return capgate_number_int(load<u8>(v, 4) != 0 ? 1 : 0);
  if (t == T_STRING) {
    let p = strPtr(v), n = strLen(v);
    if (!isNumberText(p, n)) return builtinErr("to_number", "could not parse string as number");
    // A leading '+' is valid for Go's ParseFloat but not in JSON text.
    if (load<u8>(p) == 43) { p++; n--; }
    if (parseI64(p, n)) return capgate_number_int(lastParsedInt());
    return numberFromF64(parseF64(p, n));
  }
  return typeErr("to_number", 1, "one of {null, boolean, number, string}", v);
}


/**
 * strings.replace_n as Go's strings.Replacer: at each position the first
 * matching key (in key order) is replaced. An empty key matches at every
 * position, including the end, but not twice in a row at the same place.
 */
export function capgate_bi_strings_replace_n(patterns: usize, s: usize): usize {
  if (!isType(patterns, T_OBJECT)) return typeErr("strings.replace_n", 1, "object", patterns);
  if (!S(s)) return typeErr("strings.replace_n", 2, "string", s);
  tabSort(patterns);
  let np = tabLen(patterns);
  for (let k: u32 = 0; k < np; k++) {
    let e = entryAt(patterns, k);
    if (!S(entryKey(e)) || !S(entryValue(e))) return typeErr("strings.replace_n", 1, "object of strings", patterns);
  }
  let p = strPtr(s), n = strLen(s);
  let b = bufNew(n + 16);
  let i: u32 = 0;
  let prevEmpty = false;
  while (i <= n) {
    let done = false;
    for (let k: u32 = 0; k < np; k++) {
      let e = entryAt(patterns, k);
      let o = entryKey(e);
      let on = strLen(o);
      if (on == 0 ? !prevEmpty : on <= n - i && memory.compare(p + i, strPtr(o), on) == 0) {
        bufBytes(b, strPtr(entryValue(e)), strLen(entryValue(e)));
        i += on;
        prevEmpty = on == 0;
        done = true;
        break;
      }
    }
    if (done) continue;
    prevEmpty = false;
    if (i == n) break;
    utf8Decode(p + i, n - i);
    let l = lastLen();
    bufBytes(b, p + i, l);
    i += l;
  }
  return capgate_string(bufData(b), bufLen(b));
}

/**
 * What the parser makes of `$"a{x}b"`: internal.template_string(["a", X, "b"])
 * with X the set of values x took. Literal text and string values insert bare,
 * other values as print() shows them (Rego syntax), an empty set (x undefined)
 * as <undefined>; a set of more than one value is an error, as in OPA.
 */
export function capgate_bi_internal_template_string(parts: usize): usize {
  const NAME = "internal.template_string";
  if (!isType(parts, T_ARRAY)) return typeErr(NAME, 1, "array", parts);
  let b = bufNew(64);
  let n = arrLen(parts);
  for (let i: u32 = 0; i < n; i++) {
    let p = arrAt(parts, i);
    if (isType(p, T_SET)) {
      let m = tabLen(p);
      if (m == 0) {
        bufAscii(b, "<undefined>");
        continue;
      }
      if (m > 1) return builtinErr(NAME, "template-strings must not produce multiple outputs");
      tabSort(p);
      p = entryKey(entryAt(p, 0));
    }
    if (S(p)) bufBytes(b, strPtr(p), strLen(p));
    else dumpMode(b, p, MODE_PRINT);
  }
  return capgate_string(bufData(b), bufLen(b));
}
