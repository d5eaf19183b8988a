// Shortest round-trip printing of float64 values, as Go's encoding/json does:
// the fewest significant digits that parse back to the same value, choosing
// the candidate closest to the exact binary value. The exact decimal expansion
// comes from big-integer arithmetic (base 1e9 limbs), so no approximation
// (Grisu's occasional non-shortest output) leaks into the text.
import { bufReserve, bufByte, bufAscii } from "./buffer";
import { roundsTo } from "./bigdec";

// Big integer scratch: up to 128 limbs of 9 decimal digits (a float64 needs <= 86).
const LIMBS = memory.data(4 * 128, 8);
let nlimbs: i32 = 0;
// Exact decimal digits (ASCII) of the big integer, most significant first.
const DIGITS = memory.data(1200, 8);
// Candidate digits for the round-trip check.
const CAND = memory.data(64, 8);

function bigSet(m: u64): void {
  nlimbs = 0;
  while (m != 0) {
    store<u32>(LIMBS + (<usize>nlimbs << 2), <u32>(m % 1000000000));
    m /= 1000000000;
    nlimbs++;
  }
}

function bigMul(k: u64): void {
  let carry: u64 = 0;
  for (let i = 0; i < nlimbs; i++) {
    let p = <u64>load<u32>(LIMBS + (<usize>i << 2)) * k + carry;
    store<u32>(LIMBS + (<usize>i << 2), <u32>(p % 1000000000));
    carry = p / 1000000000;
  }
  while (carry != 0) {
    store<u32>(LIMBS + (<usize>nlimbs << 2), <u32>(carry % 1000000000));
    carry /= 1000000000;
    nlimbs++;
  }
}

/** Write the big integer's decimal digits into DIGITS; returns their count. */
function bigDigits(): i32 {
  let n = 0;
  for (let i = nlimbs - 1; i >= 0; i--) {
    let limb = load<u32>(LIMBS + (<usize>i << 2));
    if (i == nlimbs - 1) {
      // no leading zeros in the top limb
      let tmp = memory.data(10);
      let k = 0;
      do { store<u8>(tmp + k, <u8>(48 + limb % 10)); limb /= 10; k++; } while (limb != 0);
      while (k > 0) { k--; store<u8>(DIGITS + n, load<u8>(tmp + k)); n++; }
    } else {
      for (let d = 8; d >= 0; d--) { store<u8>(DIGITS + n + d, <u8>(48 + limb % 10)); limb /= 10; }
      n += 9;
    }
  }
  return n;
}

/**
 * Shortest digits of |f| (finite, non-zero) into DIGITS; returns the digit
 * count and sets `pointPos` so that |f| = 0.DIGITS × 10^pointPos.
 */
let pointPos: i32 = 0;
function shortest(f: f64): i32 {
  let bits = reinterpret<u64>(f) & 0x7fffffffffffffff;
  let be = <i32>(bits >> 52);
  let m = bits & 0xfffffffffffff;
  let e: i32;
  if (be == 0) e = -1074;
  else { m |= <u64>1 << 52; e = be - 1075; }
  bigSet(m);
  let dexp: i32 = 0; // value = big × 10^dexp
  if (e >= 0) {
    let r = e;
    while (r > 0) { let s = min(r, 29); bigMul(<u64>1 << <u64>s); r -= s; }
  } else {
    let r = -e;
    while (r > 0) { let s = min(r, 13); let p: u64 = 1; for (let i = 0; i < s; i++) p *= 5; bigMul(p); r -= s; }
    dexp = e;
  }
  let n = bigDigits();
  let exact = n + dexp; // value = 0.DIGITS × 10^exact
  let target = f < 0 ? -f : f;
  for (let p = 1; p <= 17; p++) {
    let len = min(p, n);
    // Round the exact digits to `len` places: half-way cases go to even.
    let up = false;
    if (len < n) {
      let d = load<u8>(DIGITS + len);
      if (d > 53) up = true;
      else if (d == 53) {
        let rest = false;
        for (let i = len + 1; i < n; i++) if (load<u8>(DIGITS + i) != 48) { rest = true; break; }
        up = rest || ((load<u8>(DIGITS + len - 1) - 48) & 1) == 1;
      }
    }
    // Candidate digits in CAND; the exact check decides whether they read back as f.
    memory.copy(CAND, DIGITS, len);
    let pos = exact;
    if (up) {
      let i = len - 1;
      while (i >= 0 && load<u8>(CAND + i) == 57) { store<u8>(CAND + i, 48); i--; }
      if (i < 0) { memory.copy(CAND + 1, CAND, len - 1); store<u8>(CAND, 49); pos++; }
      else store<u8>(CAND + i, load<u8>(CAND + i) + 1);
    }
    let M: u64 = 0;
    for (let i = 0; i < len; i++) M = M * 10 + <u64>(load<u8>(CAND + i) - 48);
    if (roundsTo(M, pos - len, target)) {
      memory.copy(DIGITS, CAND, len);
      // strip trailing zeros (they carry no information)
      while (len > 1 && load<u8>(DIGITS + len - 1) == 48) len--;
      pointPos = pos;
      return len;
    }
  }
  pointPos = exact;
  return min(n, 17);
}

/** Append a finite, non-integral float in JSON's notation (exponent below 1e-6 or from 1e21). */
export function bufFloat(b: usize, f: f64): void {
  if (f < 0) bufByte(b, 45);
  let n = shortest(f);
  let k = pointPos;
  if (k >= -5 && k <= 21) {
    if (k <= 0) {
      bufAscii(b, "0.");
      for (let i = 0; i < -k; i++) bufByte(b, 48);
      copyDigits(b, 0, n);
    } else if (k >= n) {
      copyDigits(b, 0, n);
      for (let i = n; i < k; i++) bufByte(b, 48);
    } else {
      copyDigits(b, 0, k);
      bufByte(b, 46);
      copyDigits(b, k, n);
    }
    return;
  }
  copyDigits(b, 0, 1);
  if (n > 1) { bufByte(b, 46); copyDigits(b, 1, n); }
  bufByte(b, 101);
  let x = k - 1;
  bufByte(b, x < 0 ? 45 : 43);
  if (x < 0) x = -x;
  let tmp = memory.data(8);
  let c = 0;
  do { store<u8>(tmp + c, <u8>(48 + x % 10)); x /= 10; c++; } while (x != 0);
  while (c > 0) { c--; bufByte(b, load<u8>(tmp + c)); }
}

function copyDigits(b: usize, from: i32, to: i32): void {
  let n = <u32>(to - from);
  let dst = bufReserve(b, n);
  memory.copy(dst, DIGITS + from, n);
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

/** Append an integral float (|f| >= 2^53) with all its exact digits, as Go prints big integers. */
export function bufExactInteger(b: usize, f: f64): void {
  if (f < 0) { bufByte(b, 45); f = -f; }
  let bits = reinterpret<u64>(f);
  let e = <i32>(bits >> 52) - 1075;
  bigSet((bits & 0xfffffffffffff) | (<u64>1 << 52));
  while (e > 0) { let s = min(e, 29); bigMul(<u64>1 << <u64>s); e -= s; }
  copyDigits(b, 0, bigDigits());
}
