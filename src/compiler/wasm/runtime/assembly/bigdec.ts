// Exact comparison of a decimal M × 10^X with a binary N × 2^E using small
// big integers (base 1e9 limbs). Used to make float parsing and shortest
// printing exact where float arithmetic alone could be off by one ulp.

// Two big integers: [0] limb count, then up to 160 limbs.
const BIG_A = memory.data(4 * 161, 8);
const BIG_B = memory.data(4 * 161, 8);

function set(big: usize, m: u64): void {
  let n: u32 = 0;
  while (m != 0) {
    store<u32>(big + 4 + (<usize>n << 2), <u32>(m % 1000000000));
    m /= 1000000000;
    n++;
  }
  store<u32>(big, n);
}

function mulSmall(big: usize, k: u64): void {
  let n = load<u32>(big);
  let carry: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let slot = big + 4 + (<usize>i << 2);
    let p = <u64>load<u32>(slot) * k + carry;
    store<u32>(slot, <u32>(p % 1000000000));
    carry = p / 1000000000;
  }
  while (carry != 0 && n < 160) {
    store<u32>(big + 4 + (<usize>n << 2), <u32>(carry % 1000000000));
    carry /= 1000000000;
    n++;
  }
  store<u32>(big, n);
}

function mulPow2(big: usize, k: i32): void {
  while (k > 0) { let s = min(k, 29); mulSmall(big, <u64>1 << <u64>s); k -= s; }
}

function mulPow5(big: usize, k: i32): void {
  while (k > 0) {
    let s = min(k, 13);
    let p: u64 = 1;
    for (let i = 0; i < s; i++) p *= 5;
    mulSmall(big, p);
    k -= s;
  }
}

function cmp(a: usize, b: usize): i32 {
  let na = load<u32>(a), nb = load<u32>(b);
  if (na != nb) return na < nb ? -1 : 1;
  for (let i = <i32>na - 1; i >= 0; i--) {
    let x = load<u32>(a + 4 + (<usize>i << 2)), y = load<u32>(b + 4 + (<usize>i << 2));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Sign of M×10^X − N×2^E. */
export function compareDecBin(M: u64, X: i32, N: u64, E: i32): i32 {
  set(BIG_A, M);
  set(BIG_B, N);
  if (X >= 0) { mulPow5(BIG_A, X); mulPow2(BIG_A, X); }
  else { mulPow5(BIG_B, -X); mulPow2(BIG_B, -X); }
  if (E >= 0) mulPow2(BIG_B, E);
  else mulPow2(BIG_A, -E);
  return cmp(BIG_A, BIG_B);
}

/**
 * Does M×10^X round to the positive, finite, non-zero double `f` (round half
 * to even)? Exponents far outside the double range are answered false.
 */
export function roundsTo(M: u64, X: i32, f: f64): bool {
  if (M == 0 || X > 330 || X < -400) return false;
  let bits = reinterpret<u64>(f);
  let be = <i32>(bits >> 52);
  let m = bits & 0xfffffffffffff;
  let e: i32;
  if (be == 0) e = -1074;
  else { m |= <u64>1 << 52; e = be - 1075; }
  let even = (m & 1) == 0;
  let c = compareDecBin(M, X, 2 * m + 1, e - 1);
  if (c > 0 || (c == 0 && !even)) return false;
  // Just above a power of two the gap below is half as wide.
  if (m == (<u64>1 << 52) && be > 1) c = compareDecBin(M, X, 4 * m - 1, e - 2);
  else c = compareDecBin(M, X, 2 * m - 1, e - 1);
  return c > 0 || (c == 0 && even);
}
