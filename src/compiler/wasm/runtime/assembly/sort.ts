// Stable merge sort of u32 pointer arrays, used for sorted iteration of objects
// and sets (ordering table entries by key) and by the sort built-in (values).
import { opa_malloc, opa_free } from "./memory";
import { compareValues } from "./compare";

export const BY_VALUE: u32 = 0;
export const BY_ENTRY_KEY: u32 = 1;

// @ts-ignore: decorator
@inline function cmp(mode: u32, x: u32, y: u32): i32 {
  if (mode == BY_ENTRY_KEY) return compareValues(<usize>load<u32>(<usize>x), <usize>load<u32>(<usize>y));
  return compareValues(<usize>x, <usize>y);
}

function insertion(mode: u32, a: usize, lo: u32, hi: u32): void {
  for (let i = lo + 1; i < hi; i++) {
    let x = load<u32>(a + (<usize>i << 2));
    let j = i;
    while (j > lo) {
      let y = load<u32>(a + ((<usize>j - 1) << 2));
      if (cmp(mode, y, x) <= 0) break;
      store<u32>(a + (<usize>j << 2), y);
      j--;
    }
    store<u32>(a + (<usize>j << 2), x);
  }
}

function mergeRec(mode: u32, a: usize, tmp: usize, lo: u32, hi: u32): void {
  if (hi - lo <= 12) { insertion(mode, a, lo, hi); return; }
  let mid = lo + ((hi - lo) >> 1);
  mergeRec(mode, a, tmp, lo, mid);
  mergeRec(mode, a, tmp, mid, hi);
  // Already in order: nothing to merge (common for data built in key order).
  if (cmp(mode, load<u32>(a + ((<usize>mid - 1) << 2)), load<u32>(a + (<usize>mid << 2))) <= 0) return;
  memory.copy(tmp + (<usize>lo << 2), a + (<usize>lo << 2), (<usize>(hi - lo)) << 2);
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    let x = load<u32>(tmp + (<usize>i << 2));
    let y = load<u32>(tmp + (<usize>j << 2));
    if (cmp(mode, y, x) < 0) { store<u32>(a + (<usize>k << 2), y); j++; }
    else { store<u32>(a + (<usize>k << 2), x); i++; }
    k++;
  }
  while (i < mid) { store<u32>(a + (<usize>k << 2), load<u32>(tmp + (<usize>i << 2))); i++; k++; }
  while (j < hi) { store<u32>(a + (<usize>k << 2), load<u32>(tmp + (<usize>j << 2))); j++; k++; }
}

export function sortPointers(mode: u32, a: usize, n: u32): void {
  if (n < 2) return;
  if (n <= 12) { insertion(mode, a, 0, n); return; }
  let tmp = opa_malloc(<usize>n << 2);
  mergeRec(mode, a, tmp, 0, n);
  opa_free(tmp);
}
