// Exact decimal arithmetic for numbers that are not both int64: sign, decimal
// digits and a power of ten, as OPA's Wasm runtime computes with arbitrary
// precision decimals. A number's decimal is its text (a JSON or Rego literal
// keeps its digits exactly), an int64's digits, or a float's shortest text, so
// 0.1 + 0.2 is 0.3 and integers past int64 stay exact. Results come back as
// int64 when they fit, else as number text.
import { opa_malloc } from "./memory";
import { N_INT, N_FLOAT, numRepr, numInt, numFloat, numRefPtr, numRefLen } from "./value";
import { bufNew, bufData, bufLen } from "./buffer";
import { bufFloat } from "./float-format";
import { capgate_number_ref } from "./numbers";

// A decimal: [0] negative (u8), [4] exponent (i32), [8] digit count (u32),
// [12] pointer to the digits (one byte each, 0-9, most significant first).
// Its value is (-1)^negative × digits × 10^exponent.

/** Past this many digits the caller computes in float64 instead (keeps 1e999999 + 1 from exhausting memory). */
export const MAX_DIGITS: i32 = 4096;

// @ts-ignore: decorator
@inline function decNeg(d: usize): bool { return load<u8>(d) != 0; }
// @ts-ignore: decorator
@inline function decExp(d: usize): i32 { return load<i32>(d, 4); }
// @ts-ignore: decorator
@inline function decLen(d: usize): i32 { return <i32>load<u32>(d, 8); }
// @ts-ignore: decorator
@inline function decDigits(d: usize): usize { return <usize>load<u32>(d, 12); }

function newDec(neg: bool, exp: i32, n: i32, digits: usize): usize {
  let d = opa_malloc(16);
  store<u8>(d, neg ? 1 : 0);
  store<i32>(d, exp, 4);
  store<u32>(d, <u32>n, 8);
  store<u32>(d, <u32>digits, 12);
  return d;
}

/** Decimal of number text ([-]digits[.digits][e[+-]digits]), or 0 when it is not one. */
function parseDec(p: usize, n: u32): usize {
  let i: u32 = 0;
  let neg = false;
  if (i < n && (load<u8>(p) == 45 || load<u8>(p) == 43)) { neg = load<u8>(p) == 45; i++; }
  let digits = opa_malloc(<usize>max<u32>(n, 1));
  let nd: i32 = 0;
  let exp: i32 = 0;
  let dot = false;
  let seen = false;
  for (; i < n; i++) {
    let c = <u32>load<u8>(p + i);
    if (c >= 48 && c <= 57) {
      seen = true;
      if (nd > 0 || c != 48) { store<u8>(digits + <usize>nd, <u8>(c - 48)); nd++; }
      if (dot) exp--;
    } else if (c == 46 && !dot) dot = true;
    else break;
  }
  if (!seen) return 0;
  if (i < n) {
    let c = load<u8>(p + i);
    if (c != 101 && c != 69) return 0;
    i++;
    let eneg = false;
    if (i < n && (load<u8>(p + i) == 45 || load<u8>(p + i) == 43)) { eneg = load<u8>(p + i) == 45; i++; }
    let e: i32 = 0;
    let any = false;
    for (; i < n; i++) {
      let d = <u32>load<u8>(p + i);
      if (d < 48 || d > 57) return 0;
      if (e < 100000000) e = e * 10 + <i32>(d - 48);
      any = true;
    }
    if (!any) return 0;
    exp += eneg ? -e : e;
  }
  return newDec(neg && nd > 0, exp, nd, digits);
}

/** The decimal of a number value, or 0 when it has none (NaN, infinities). */
export function decOf(v: usize): usize {
  let r = numRepr(v);
  if (r == N_INT) {
    let x = numInt(v);
    let neg = x < 0;
    let u: u64 = neg ? <u64>0 - <u64>x : <u64>x;
    let digits = opa_malloc(20);
    let tmp = opa_malloc(20);
    let n: i32 = 0;
    while (u != 0) { store<u8>(tmp + <usize>n, <u8>(u % 10)); n++; u /= 10; }
    for (let i: i32 = 0; i < n; i++) store<u8>(digits + <usize>i, load<u8>(tmp + <usize>(n - 1 - i)));
    return newDec(neg, 0, n, digits);
  }
  if (r == N_FLOAT) {
    let f = numFloat(v);
    if (isNaN(f) || !isFinite(f)) return 0;
    let b = bufNew(32);
    bufFloat(b, f);
    return parseDec(bufData(b), bufLen(b));
  }
  return parseDec(numRefPtr(v), numRefLen(v));
}

/** Digit i counted from the decimal point (0 = units, 1 = tens, -1 = tenths) of |d|. */
// @ts-ignore: decorator
@inline function digitAt(d: usize, pos: i32): u32 {
  let idx = decLen(d) - 1 - (pos - decExp(d));
  return idx >= 0 && idx < decLen(d) ? <u32>load<u8>(decDigits(d) + <usize>idx) : 0;
}

/** Compares |a| and |b|. */
function compareMag(a: usize, b: usize): i32 {
  let na = decLen(a), nb = decLen(b);
  if (na == 0 || nb == 0) return na == nb ? 0 : na == 0 ? -1 : 1;
  let ta = na + decExp(a), tb = nb + decExp(b); // position one past the leading digit
  if (ta != tb) return ta < tb ? -1 : 1;
  let lo = min<i32>(decExp(a), decExp(b));
  for (let pos = ta - 1; pos >= lo; pos--) {
    let x = digitAt(a, pos), y = digitAt(b, pos);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

export function decCompare(a: usize, b: usize): i32 {
  let za = decLen(a) == 0, zb = decLen(b) == 0;
  if (za && zb) return 0;
  let na = decNeg(a), nb = decNeg(b);
  if (na != nb) return na ? -1 : 1;
  let c = compareMag(a, b);
  return na ? -c : c;
}

/** a + b (negB: a - b); 0 when the result would need more than MAX_DIGITS digits. */
export function decAdd(a: usize, b: usize, negB: bool): usize {
  let bn = decNeg(b) != negB;
  if (decLen(b) == 0) return newDec(decNeg(a), decExp(a), decLen(a), decDigits(a));
  if (decLen(a) == 0) return newDec(bn, decExp(b), decLen(b), decDigits(b));
  let lo = min<i32>(decExp(a), decExp(b));
  let hi = max<i32>(decLen(a) + decExp(a), decLen(b) + decExp(b)) + 1;
  let n = hi - lo;
  if (n > MAX_DIGITS) return 0;
  let out = opa_malloc(<usize>n);
  let neg: bool;
  if (decNeg(a) == bn) {
    neg = bn;
    let carry: u32 = 0;
    for (let pos = lo; pos < hi; pos++) {
      let s = digitAt(a, pos) + digitAt(b, pos) + carry;
      carry = s >= 10 ? 1 : 0;
      store<u8>(out + <usize>(hi - 1 - pos), <u8>(s - carry * 10));
    }
  } else {
    // Subtract the smaller magnitude from the larger.
    let c = compareMag(a, b);
    if (c == 0) return newDec(false, 0, 0, out);
    let big = c > 0 ? a : b, small = c > 0 ? b : a;
    neg = c > 0 ? decNeg(a) : bn;
    let borrow: i32 = 0;
    for (let pos = lo; pos < hi; pos++) {
      let s = <i32>digitAt(big, pos) - <i32>digitAt(small, pos) - borrow;
      borrow = s < 0 ? 1 : 0;
      store<u8>(out + <usize>(hi - 1 - pos), <u8>(s + borrow * 10));
    }
  }
  return trim(newDec(neg, lo, n, out));
}

/** a × b; 0 when the result would need more than MAX_DIGITS digits. */
export function decMul(a: usize, b: usize): usize {
  let na = decLen(a), nb = decLen(b);
  if (na == 0 || nb == 0) return newDec(false, 0, 0, opa_malloc(1));
  let n = na + nb;
  if (n > MAX_DIGITS) return 0;
  let acc = opa_malloc(<usize>n << 2);
  memory.fill(acc, 0, <usize>n << 2);
  for (let i = na - 1; i >= 0; i--) {
    let x = <u32>load<u8>(decDigits(a) + <usize>i);
    if (x == 0) continue;
    for (let j = nb - 1; j >= 0; j--) {
      let at = acc + (<usize>(i + j + 1) << 2);
      store<u32>(at, load<u32>(at) + x * <u32>load<u8>(decDigits(b) + <usize>j));
    }
  }
  let out = opa_malloc(<usize>n);
  let carry: u32 = 0;
  for (let k = n - 1; k >= 0; k--) {
    let s = load<u32>(acc + (<usize>k << 2)) + carry;
    store<u8>(out + <usize>k, <u8>(s % 10));
    carry = s / 10;
  }
  return trim(newDec(decNeg(a) != decNeg(b), decExp(a) + decExp(b), n, out));
}

/** Without leading and trailing zero digits (trailing ones move into the exponent). */
function trim(d: usize): usize {
  let p = decDigits(d), n = decLen(d), e = decExp(d);
  let s: i32 = 0;
  while (s < n && load<u8>(p + <usize>s) == 0) s++;
  let t = n;
  while (t > s && load<u8>(p + <usize>(t - 1)) == 0) { t--; e++; }
  return newDec(t > s && decNeg(d), t > s ? e : 0, t - s, p + <usize>s);
}

/** The number value of d: an int64 when it is an integer that fits, else its text. */
export function decToNumber(d: usize): usize {
  d = trim(d);
  let n = decLen(d), e = decExp(d);
  if (n == 0) return capgate_number_ref(memory.data<u8>([48]), 1);
  // Plain digits, as JavaScript prints numbers, except for a value with
  // trailing zeros past 1e21 or one below 1e-6: those take an exponent. An
  // integer's significant digits are always printed in full.
  let plain = e >= 0 ? e == 0 || n + e <= 21 : n + e > -6;
  let size = <usize>(n + 24 + (plain ? abs<i32>(e) : 0));
  let out = opa_malloc(size);
  let o: usize = 0;
  if (decNeg(d)) store<u8>(out + o++, 45);
  let p = decDigits(d);
  if (!plain) {
    store<u8>(out + o++, 48 + load<u8>(p));
    if (n > 1) {
      store<u8>(out + o++, 46);
      for (let i: i32 = 1; i < n; i++) store<u8>(out + o++, 48 + load<u8>(p + <usize>i));
    }
    let x = e + n - 1;
    store<u8>(out + o++, 101);
    store<u8>(out + o++, x < 0 ? 45 : 43);
    o = writeInt(out, o, abs<i32>(x));
    return capgate_number_ref(out, <u32>o);
  }
  if (e >= 0) {
    for (let i: i32 = 0; i < n; i++) store<u8>(out + o++, 48 + load<u8>(p + <usize>i));
    for (let i: i32 = 0; i < e; i++) store<u8>(out + o++, 48);
    return capgate_number_ref(out, <u32>o);
  }
  let intDigits = n + e;
  if (intDigits <= 0) {
    store<u8>(out + o++, 48);
    store<u8>(out + o++, 46);
    for (let i: i32 = 0; i < -intDigits; i++) store<u8>(out + o++, 48);
    for (let i: i32 = 0; i < n; i++) store<u8>(out + o++, 48 + load<u8>(p + <usize>i));
  } else {
    for (let i: i32 = 0; i < n; i++) {
      if (i == intDigits) store<u8>(out + o++, 46);
      store<u8>(out + o++, 48 + load<u8>(p + <usize>i));
    }
  }
  return capgate_number_ref(out, <u32>o);
}

function writeInt(out: usize, o: usize, x: i32): usize {
  let tmp = opa_malloc(12);
  let n: usize = 0;
  do { store<u8>(tmp + n++, <u8>(48 + x % 10)); x /= 10; } while (x != 0);
  while (n > 0) store<u8>(out + o++, load<u8>(tmp + --n));
  return o;
}

export function decTrim(d: usize): usize { return trim(d); }
export function decIsNeg(d: usize): bool { return decNeg(d); }
export function decDigitCount(d: usize): i32 { return decLen(d); }
export function decExponent(d: usize): i32 { return decExp(d); }
/** Digit i (0 = most significant) of a decimal already without zero padding. */
export function decDigit(d: usize, i: i32): u32 { return <u32>load<u8>(decDigits(d) + <usize>i); }
