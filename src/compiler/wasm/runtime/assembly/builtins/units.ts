// Unit-suffix parsing built-ins, exact as OPA's big.Rat / big.Float arithmetic.
//   units.parse 1 (SI and binary suffixes: "10k", "1.5Mi", "5m" = 0.005, "1e3M")
//   units.parse_bytes 1 (byte counts: "10KB", "1KiB", "2gb", "1e3mb"; case-insensitive)
// The amount is kept as decimal digits, multiplied by the unit exactly and
// printed back: integers of any size stay exact (beyond int64 as number text),
// units.parse answers a fraction with 10 decimals rounded half away from zero
// (Go's Rat.FloatString(10)), units.parse_bytes truncates toward zero.
import { T_STRING, strLen, strPtr } from "../value";
import { capgate_number_ref } from "../numbers";
import { opa_malloc } from "../memory";
import { typeErr, builtinErr, isType } from "./common";

const MAX_EXPONENT_DIGITS: u32 = 6;
const FRACTION_DIGITS: i32 = 10;

// The string without its double quotes (OPA removes every one), in scratch memory.
let sp: usize = 0;
let sn: u32 = 0;
function withoutQuotes(v: usize, lower: bool): void {
  let p = strPtr(v), n = strLen(v);
  sp = opa_malloc(n == 0 ? 1 : n);
  sn = 0;
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + i);
    if (c == 34) continue;
    if (lower && c >= 65 && c <= 90) c += 32;
    store<u8>(sp + sn++, c);
  }
}

@inline function isDigit(c: u32): bool { return c >= 48 && c <= 57; }

let numLen: u32 = 0;
/**
 * Splits sp[0..sn) into amount and unit as OPA's extractNumAndUnit does: the
 * amount runs over digits, '.', '+', '-' and an 'e' that starts an exponent.
 * Returns false when an exponent has more than 6 digits.
 */
function splitAmount(): bool {
  numLen = sn;
  for (let i: u32 = 0; i < sn; i++) {
    let c = <u32>load<u8>(sp + i);
    let e = c == 101 || c == 69;
    if (!isDigit(c) && c != 46 && !e && c != 43 && c != 45) { numLen = i; return true; }
    if (e) {
      let next = i + 1 < sn ? <u32>load<u8>(sp + i + 1) : 0;
      if (i + 1 == sn || (!isDigit(next) && next != 43 && next != 45)) { numLen = i; return true; }
      if (next == 43 || next == 45) i++;
      let j = i + 1;
      while (j < sn && isDigit(load<u8>(sp + j))) j++;
      if (j - (i + 1) > MAX_EXPONENT_DIGITS) return false;
    }
  }
  return true;
}

// The amount as sign × digits × 10^exp10: digits are values 0..9 in a buffer
// with room on the left for the carries of a multiplication.
const HEADROOM: u32 = 24;
let dBuf: usize = 0;
let dStart: u32 = 0;
let dEnd: u32 = 0;
let exp10: i32 = 0;
let negative = false;

/** Parses Go's decimal float syntax: [+-] digits [. digits] [(e|E) [+-] digits]. */
function parseAmount(p: usize, n: u32): bool {
  dBuf = opa_malloc(n + HEADROOM);
  dStart = HEADROOM;
  dEnd = HEADROOM;
  exp10 = 0;
  negative = false;
  let i: u32 = 0;
  if (i < n && (load<u8>(p) == 43 || load<u8>(p) == 45)) { negative = load<u8>(p) == 45; i++; }
  let seen = false, dot = false;
  while (i < n) {
    let c = <u32>load<u8>(p + i);
    if (isDigit(c)) {
      store<u8>(dBuf + dEnd++, <u8>(c - 48));
      if (dot) exp10--;
      seen = true;
    } else if (c == 46 && !dot) dot = true;
    else break;
    i++;
  }
  if (!seen) return false;
  if (i < n) {
    let c = load<u8>(p + i);
    if (c != 101 && c != 69) return false;
    i++;
    let eneg = false;
    if (i < n && (load<u8>(p + i) == 43 || load<u8>(p + i) == 45)) { eneg = load<u8>(p + i) == 45; i++; }
    if (i == n) return false;
    let e: i32 = 0;
    while (i < n) {
      let d = <u32>load<u8>(p + i);
      if (!isDigit(d)) return false;
      e = e * 10 + <i32>(d - 48);
      i++;
    }
    exp10 += eneg ? -e : e;
  }
  return true;
}

/** digits × k, exactly (k < 2^61, so digit × k + carry stays below 2^64). */
function multiply(k: u64): void {
  if (k == 1) return;
  let carry: u64 = 0;
  for (let i = dEnd; i > dStart; i--) {
    let x = <u64>load<u8>(dBuf + i - 1) * k + carry;
    store<u8>(dBuf + i - 1, <u8>(x % 10));
    carry = x / 10;
  }
  while (carry > 0) {
    store<u8>(dBuf + --dStart, <u8>(carry % 10));
    carry /= 10;
  }
}

/**
 * The number sign × digits × 10^exp10 as text, then as a number value: with
 * `fraction` digits after the point (rounded half away from zero) when it is
 * not an integer, or truncated to an integer when fraction is 0.
 */
function result(fraction: i32): usize {
  while (dStart < dEnd - 1 && load<u8>(dBuf + dStart) == 0) dStart++;
  let nd = <i32>(dEnd - dStart);
  let intDigits = nd + exp10; // digits before the point (may be <= 0)
  let fracNonZero = false;
  for (let i = max<i32>(intDigits, 0); i < nd; i++) if (load<u8>(dBuf + dStart + <u32>i) != 0) { fracNonZero = true; break; }
  let keep = fracNonZero ? fraction : 0;
  // Digits of the answer: the integer part, then `keep` fraction digits.
  let total = max<i32>(intDigits, 1) + keep;
  let out = opa_malloc(<usize>(total + 3));
  let o: u32 = 0;
  if (negative) store<u8>(out + o++, 45);
  let first = o;
  for (let j: i32 = 0; j < total; j++) {
    // Position j of the answer is digit index (j - pad) of the digits, where
    // pad aligns the integer part when intDigits < 1.
    let idx = intDigits >= 1 ? j : j + intDigits - 1;
    let d: u8 = idx >= 0 && idx < nd ? load<u8>(dBuf + dStart + <u32>idx) : 0;
    store<u8>(out + o++, 48 + d);
    if (j == max<i32>(intDigits, 1) - 1 && keep > 0) store<u8>(out + o++, 46);
  }
  if (keep > 0) {
    let next = intDigits >= 1 ? total : total + intDigits - 1;
    if (next >= 0 && next < nd && load<u8>(dBuf + dStart + <u32>next) >= 5) roundUp(out, first, o);
  }
  if (o - first == 1 && load<u8>(out + first) == 48 && negative) return capgate_number_ref(out + 1, 1);
  return capgate_number_ref(out, o);
}

/** Adds one in the last place of the decimal text out[first..end), carrying left. */
function roundUp(out: usize, first: u32, end: u32): void {
  let i = end;
  while (i > first) {
    i--;
    let c = load<u8>(out + i);
    if (c == 46) continue;
    if (c < 57) { store<u8>(out + i, c + 1); return; }
    store<u8>(out + i, 48);
  }
  // All nines: the text grows by one leading digit.
  memory.copy(out + first + 1, out + first, end - first);
  store<u8>(out + first, 49);
}

function matches(p: usize, n: u32, s: string): bool {
  if (<u32>s.length != n) return false;
  for (let i: u32 = 0; i < n; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(i)) return false;
  return true;
}

const K: u64 = 1000;
const KI: u64 = 1024;

/** The multiplier of a byte unit (already lower case), or 0 when unknown. */
function byteUnit(p: usize, n: u32): u64 {
  if (n == 0) return 1;
  let c = <u32>load<u8>(p);
  let pw: u64 = c == 107 ? 1 : c == 109 ? 2 : c == 103 ? 3 : c == 116 ? 4 : c == 112 ? 5 : c == 101 ? 6 : 0;
  if (pw == 0) return 0;
  let rest = n - 1;
  let q = p + 1;
  let binary = rest > 0 && load<u8>(q) == 105;
  if (binary) { q++; rest--; }
  if (rest == 1 && load<u8>(q) == 98) rest = 0;
  if (rest != 0) return 0;
  let base = binary ? KI : K;
  let m: u64 = 1;
  for (let i: u64 = 0; i < pw; i++) m *= base;
  return m;
}

export function capgate_bi_units_parse_bytes(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("units.parse_bytes", 1, "string", v);
  withoutQuotes(v, true);
  for (let i: u32 = 0; i < sn; i++) if (load<u8>(sp + i) == 32) return builtinErr("units.parse_bytes", "spaces not allowed in resource strings");
  if (!splitAmount()) return builtinErr("units.parse_bytes", "exponent too large");
  if (numLen == 0) return builtinErr("units.parse_bytes", "no byte amount provided");
  let m = byteUnit(sp + numLen, sn - numLen);
  if (m == 0) return builtinErr("units.parse_bytes", "byte unit not recognized");
  if (!parseAmount(sp, numLen)) return builtinErr("units.parse_bytes", "could not parse byte amount to a number");
  multiply(m);
  return result(0);
}

export function capgate_bi_units_parse(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("units.parse", 1, "string", v);
  withoutQuotes(v, false);
  for (let i: u32 = 0; i < sn; i++) if (load<u8>(sp + i) == 32) return builtinErr("units.parse", "spaces not allowed in resource strings");
  if (!splitAmount()) return builtinErr("units.parse", "exponent too large");
  if (numLen == 0) return builtinErr("units.parse", "no amount provided");
  // The first letter of the unit keeps its case (m is milli, M mega), the rest do not.
  let u = sp + numLen, un = sn - numLen;
  for (let i: u32 = 1; i < un; i++) {
    let c = load<u8>(u + i);
    if (c >= 65 && c <= 90) store<u8>(u + i, c + 32);
  }
  let m: u64 = 0;
  let milli = false;
  if (un == 0) m = 1;
  else if (matches(u, un, "m")) { m = 1; milli = true; }
  else if (matches(u, un, "M")) m = K * K;
  else {
    let c = <u32>load<u8>(u);
    let lowered = c >= 65 && c <= 90 ? c + 32 : c;
    if (lowered != 109) {
      store<u8>(u, <u8>lowered);
      m = byteUnit(u, un);
      // byteUnit also takes a trailing "b", which units.parse does not.
      if (load<u8>(u + un - 1) == 98) m = 0;
    } else if (un == 2 && load<u8>(u + 1) == 105) m = KI * KI;
  }
  if (m == 0) return builtinErr("units.parse", "unit not recognized");
  if (!parseAmount(sp, numLen)) return builtinErr("units.parse", "could not parse amount to a number");
  multiply(m);
  if (milli) exp10 -= 3;
  return result(FRACTION_DIGITS);
}
