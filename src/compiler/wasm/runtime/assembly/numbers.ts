// Numbers: int64, float64 and "ref" (decimal text kept for values that are
// neither, such as big integers or literals like 1.0). Conversions between them,
// decimal text parsing and Go-compatible printing (integers without ".0").
import { strtod } from "~lib/util/string";
import { itoa_buffered } from "~lib/util/number";
import { opa_malloc } from "./memory";
import { bufReserve } from "./buffer";
import { bufFloat, bufExactInteger } from "./float-format";
import { roundsTo } from "./bigdec";
import { decOf, decCompare } from "./decimal";
import {
  T_NUMBER, N_INT, N_FLOAT, N_REF, numRepr, numInt, numFloat, numRefPtr, numRefLen,
  capgate_number_int, capgate_number_float, newNumberRefRaw,
} from "./value";

// Scratch for text conversions: an AssemblyScript string header (rtSize at -4)
// followed by UTF-16 code units. Big enough for any number literal we keep short.
const SCRATCH = memory.data(16 + 2 * 400, 16);

// Exact powers of ten representable in a float64 (10^0 .. 10^22).
const POW10 = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]);

/**
 * Parse decimal text (JSON number syntax) as float64. Clinger's fast path is
 * exact when the digits fit in 53 bits and the power of ten is exact, which
 * covers ordinary literals; other text falls back to AssemblyScript's strtod.
 */
export function parseF64(ptr: usize, len: u32): f64 {
  let i: u32 = 0;
  let neg = false;
  if (len > 0 && (load<u8>(ptr) == 45 || load<u8>(ptr) == 43)) { neg = load<u8>(ptr) == 45; i = 1; }
  let mant: u64 = 0;
  let digits: i32 = 0;
  let exp: i32 = 0;
  let ok = true;
  let seenDot = false;
  for (; i < len; i++) {
    let c = <u32>load<u8>(ptr + i);
    if (c == 46) { if (seenDot) { ok = false; break; } seenDot = true; continue; }
    if (c == 101 || c == 69) break;
    if (c - 48 > 9) { ok = false; break; }
    if (mant == 0 && c == 48) { if (seenDot) exp--; continue; }
    if (digits >= 19) { ok = false; break; }
    mant = mant * 10 + <u64>(c - 48);
    digits++;
    if (seenDot) exp--;
  }
  if (ok && i < len) {
    // exponent part
    i++;
    let eneg = false;
    if (i < len && (load<u8>(ptr + i) == 45 || load<u8>(ptr + i) == 43)) { eneg = load<u8>(ptr + i) == 45; i++; }
    let e: i32 = 0;
    if (i >= len) ok = false;
    for (; i < len; i++) {
      let c = <u32>load<u8>(ptr + i);
      if (c - 48 > 9) { ok = false; break; }
      if (e < 100000) e = e * 10 + <i32>(c - 48);
    }
    exp += eneg ? -e : e;
  }
  if (ok && mant <= (<u64>1 << 53)) {
    let m = <f64>mant;
    let r: f64 = 0;
    let fast = true;
    if (mant == 0) r = 0;
    else if (exp == 0) r = m;
    else if (exp > 0 && exp <= 22) r = m * load<f64>(POW10 + (<usize>exp << 3));
    else if (exp < 0 && exp >= -22) r = m / load<f64>(POW10 + (<usize>(-exp) << 3));
    else if (exp > 22 && exp <= 22 + 15) {
      // Move the excess into the mantissa while it stays exact.
      let mm = m * load<f64>(POW10 + (<usize>(exp - 22) << 3));
      if (mm <= 9007199254740992.0) r = mm * 1e22;
      else fast = false;
    } else fast = false;
    if (fast) return neg ? -r : r;
  }
  let approx = strtodText(ptr, len);
  // strtod can be one ulp off: settle the neighbours with an exact comparison.
  if (ok && mant != 0 && isFinite(approx) && approx != 0) {
    let a = Math.abs(approx);
    if (!roundsTo(mant, exp, a)) {
      let up = reinterpret<f64>(reinterpret<u64>(a) + 1);
      let down = reinterpret<f64>(reinterpret<u64>(a) - 1);
      if (roundsTo(mant, exp, up)) a = up;
      else if (roundsTo(mant, exp, down)) a = down;
    }
    return neg ? -a : a;
  }
  return approx;
}

function strtodText(ptr: usize, len: u32): f64 {
  let base: usize;
  if (len <= 400) base = SCRATCH + 16;
  else base = opa_malloc(16 + (<usize>len << 1)) + 16;
  store<u32>(base - 4, len << 1);
  for (let i: u32 = 0; i < len; i++) store<u16>(base + (<usize>i << 1), <u16>load<u8>(ptr + i));
  return strtod(changetype<string>(base));
}

/**
 * Parse decimal integer text into an i64. Returns false when the text is not a
 * plain integer or does not fit.
 */
let parsedInt: i64 = 0;
export function parseI64(ptr: usize, len: u32): bool {
  if (len == 0) return false;
  let i: u32 = 0;
  let neg = false;
  if (load<u8>(ptr) == 45) { neg = true; i = 1; if (len == 1) return false; }
  if (len - i > 19) return false;
  // Leading zeros are not JSON integers ("01"); keep such text as is.
  if (len - i > 1 && load<u8>(ptr + i) == 48) return false;
  let acc: u64 = 0;
  for (; i < len; i++) {
    let c = <u32>load<u8>(ptr + i) - 48;
    if (c > 9) return false;
    let next = acc * 10 + <u64>c;
    if (next < acc || acc > 1844674407370955161) return false;
    acc = next;
  }
  // i64 range: up to 2^63-1, or 2^63 when negative.
  if (neg) {
    if (acc > 9223372036854775808) return false;
    parsedInt = -<i64>acc;
  } else {
    if (acc > 9223372036854775807) return false;
    parsedInt = <i64>acc;
  }
  return true;
}
export function lastParsedInt(): i64 { return parsedInt; }

/** MakeNumberRef: an int when the text is an integer that fits, else the text. */
export function capgate_number_ref(ptr: usize, len: u32): usize {
  if (parseI64(ptr, len)) return capgate_number_int(parsedInt);
  return newNumberRefRaw(ptr, len);
}

export function numberToF64(v: usize): f64 {
  let r = numRepr(v);
  if (r == N_INT) return <f64>numInt(v);
  if (r == N_FLOAT) return numFloat(v);
  return parseF64(numRefPtr(v), numRefLen(v));
}

const TWO63: f64 = 9223372036854775808.0;

let intOut: i64 = 0;
/** Is v an integral number that fits in an i64? The value is then in lastInt(). */
export function numberAsInt(v: usize): bool {
  let r = numRepr(v);
  if (r == N_INT) { intOut = numInt(v); return true; }
  if (r == N_REF && parseI64(numRefPtr(v), numRefLen(v))) { intOut = parsedInt; return true; }
  let f = r == N_FLOAT ? numFloat(v) : parseF64(numRefPtr(v), numRefLen(v));
  if (f == Math.floor(f) && f >= -TWO63 && f < TWO63) { intOut = <i64>f; return true; }
  return false;
}
export function lastInt(): i64 { return intOut; }

/** A number from a float result, normalised to an int when integral (as OPA prints it). */
export function numberFromF64(f: f64): usize {
  if (f == Math.floor(f) && f >= -TWO63 && f < TWO63 && Math.abs(f) < 9007199254740992.0) {
    return capgate_number_int(<i64>f);
  }
  return capgate_number_float(f);
}

export function isNumber(v: usize): bool { return v != 0 && load<u8>(v) == T_NUMBER; }

// @ts-ignore: decorator
@inline function widen(buf: usize, dst: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u8>(dst + i, <u8>load<u16>(buf + (<usize>i << 1)));
}

/** Append the number's text to a byte buffer (see buffer.ts). */
export function bufNumber(b: usize, v: usize): void {
  let r = numRepr(v);
  if (r == N_REF) {
    let n = numRefLen(v);
    let dst = bufReserve(b, n);
    memory.copy(dst, numRefPtr(v), n);
    store<u32>(b, load<u32>(b, 4) + n, 4);
    return;
  }
  let tmp = SCRATCH + 16;
  let n: u32;
  if (r == N_INT) {
    n = itoa_buffered<i64>(tmp, numInt(v));
  } else {
    let f = numFloat(v);
    if (f == Math.floor(f) && Math.abs(f) < 1e21) {
      // Integral floats print like Go's integers: no ".0".
      if (Math.abs(f) < TWO63) n = itoa_buffered<i64>(tmp, <i64>f);
      else { bufExactInteger(b, f); return; }
    } else if (isNaN(f) || !isFinite(f)) {
      // JSON has no NaN/Inf; OPA cannot produce them either. Print null.
      n = 4;
      store<u64>(tmp, 0x006C006C0075006E); // "null"
    } else {
      bufFloat(b, f);
      return;
    }
  }
  let dst = bufReserve(b, n);
  widen(tmp, dst, n);
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

/** Compare two numbers: -1, 0, 1. */
export function compareNumbers(a: usize, b: usize): i32 {
  if (numRepr(a) == N_INT && numRepr(b) == N_INT) {
    let x = numInt(a), y = numInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (numberAsInt(a)) {
    let x = intOut;
    if (numberAsInt(b)) { let y = intOut; return x < y ? -1 : x > y ? 1 : 0; }
  }
  let x = numberToF64(a), y = numberToF64(b);
  if (x != y) return x < y ? -1 : 1;
  // Equal as float64 (rounding is monotonic, so only ties need it): compare exactly.
  let da = decOf(a), db = decOf(b);
  return da != 0 && db != 0 ? decCompare(da, db) : 0;
}
