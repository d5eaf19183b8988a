// Rego's total order (null < boolean < number < string < array < object < set),
// equality (numbers compare by value, so 1 == 1.0) and a hash consistent with it.
import {
  T_NULL, T_BOOLEAN, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET,
  N_INT, numRepr, numInt, strLen, strPtr, arrLen, arrAt,
} from "./value";
import { compareNumbers, numberAsInt, lastInt, numberToF64 } from "./numbers";
import { tabLen, tabSort, entryAt, entryKey, entryValue, tabFind } from "./table";

export function compareBytes(pa: usize, la: u32, pb: usize, lb: u32): i32 {
  let n = min<u32>(la, lb);
  for (let i: u32 = 0; i < n; i++) {
    let x = load<u8>(pa + i), y = load<u8>(pb + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return la < lb ? -1 : la > lb ? 1 : 0;
}

export function compareValues(a: usize, b: usize): i32 {
  if (a == b) return 0;
  if (a == 0) return -1;
  if (b == 0) return 1;
  let ta = load<u8>(a), tb = load<u8>(b);
  if (ta != tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case T_NULL: return 0;
    case T_BOOLEAN: {
      let x = load<u8>(a, 4) != 0 ? 1 : 0, y = load<u8>(b, 4) != 0 ? 1 : 0;
      return x - y;
    }
    case T_NUMBER: return compareNumbers(a, b);
    case T_STRING: return compareBytes(strPtr(a), strLen(a), strPtr(b), strLen(b));
    case T_ARRAY: {
      let la = arrLen(a), lb = arrLen(b);
      let n = min<u32>(la, lb);
      for (let i: u32 = 0; i < n; i++) {
        let c = compareValues(arrAt(a, i), arrAt(b, i));
        if (c != 0) return c;
      }
      return la < lb ? -1 : la > lb ? 1 : 0;
    }
    default: {
      // objects and sets: pairwise over sorted entries, then by size
      tabSort(a);
      tabSort(b);
      let la = tabLen(a), lb = tabLen(b);
      let n = min<u32>(la, lb);
      for (let i: u32 = 0; i < n; i++) {
        let ea = entryAt(a, i), eb = entryAt(b, i);
        let c = compareValues(entryKey(ea), entryKey(eb));
        if (c != 0) return c;
        if (ta == T_OBJECT) {
          c = compareValues(entryValue(ea), entryValue(eb));
          if (c != 0) return c;
        }
      }
      return la < lb ? -1 : la > lb ? 1 : 0;
    }
  }
}

/**
 * Whether n bytes at a and b are the same. Strings compared are mostly short
 * keys, one side in the input text and the other in static data, at different
 * alignments, where memory.compare's call ends in its byte loop anyway.
 */
// @ts-ignore: decorator
@inline function sameBytes(a: usize, b: usize, n: u32): bool {
  if (n > 16) return memory.compare(a, b, n) == 0;
  for (let i: usize = 0; i < <usize>n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** Two string values hold the same bytes (told apart by length first). */
// @ts-ignore: decorator
@inline export function equalStrings(a: usize, b: usize): bool {
  let n = strLen(a);
  return n == strLen(b) && sameBytes(strPtr(a), strPtr(b), n);
}

export function equalValues(a: usize, b: usize): bool {
  if (a == b) return a != 0;
  if (a == 0 || b == 0) return false;
  let ta = load<u8>(a);
  if (ta != load<u8>(b)) return false;
  switch (ta) {
    case T_NULL: return true;
    case T_BOOLEAN: return (load<u8>(a, 4) != 0) == (load<u8>(b, 4) != 0);
    case T_NUMBER: {
      if (numRepr(a) == N_INT && numRepr(b) == N_INT) return numInt(a) == numInt(b);
      return compareNumbers(a, b) == 0;
    }
    case T_STRING: return equalStrings(a, b);
    case T_ARRAY: {
      let n = arrLen(a);
      if (n != arrLen(b)) return false;
      for (let i: u32 = 0; i < n; i++) if (!equalValues(arrAt(a, i), arrAt(b, i))) return false;
      return true;
    }
    case T_OBJECT: {
      let n = tabLen(a);
      if (n != tabLen(b)) return false;
      for (let i: u32 = 0; i < n; i++) {
        let e = entryAt(a, i);
        let f = tabFind(b, entryKey(e));
        if (f == 0 || !equalValues(entryValue(e), entryValue(f))) return false;
      }
      return true;
    }
    case T_SET: {
      let n = tabLen(a);
      if (n != tabLen(b)) return false;
      for (let i: u32 = 0; i < n; i++) if (tabFind(b, entryKey(entryAt(a, i))) == 0) return false;
      return true;
    }
  }
  return false;
}

// @ts-ignore: decorator
@inline function mix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

// @ts-ignore: decorator
@inline function hash64(x: u64): u32 {
  return mix(<u32>x ^ mix(<u32>(x >>> 32) + 0x9e3779b9));
}

export function hashValue(v: usize): u32 {
  if (v == 0) return 0;
  switch (load<u8>(v)) {
    case T_NULL: return 0x2545f491;
    case T_BOOLEAN: return load<u8>(v, 4) != 0 ? 0x6a09e667 : 0xbb67ae85;
    case T_NUMBER: {
      // Equal numbers must hash alike whatever their representation.
      if (numRepr(v) == N_INT) return hash64(<u64>numInt(v));
      if (numberAsInt(v)) return hash64(<u64>lastInt());
      return hash64(reinterpret<u64>(numberToF64(v)));
    }
    case T_STRING: {
      // Four bytes a step, the rest one at a time; mix() folds the high bits,
      // which the multiplications fill, into the low ones that pick a bucket.
      let h: u32 = 0x811c9dc5 ^ strLen(v);
      let p = strPtr(v), n = strLen(v), i: u32 = 0;
      for (; i + 4 <= n; i += 4) h = rotl<u32>((h ^ load<u32>(p + i)) * 0x01000193, 15);
      for (; i < n; i++) h = (h ^ <u32>load<u8>(p + i)) * 0x01000193;
      return mix(h);
    }
    case T_ARRAY: {
      let h: u32 = 0x3c6ef372;
      let n = arrLen(v);
      for (let i: u32 = 0; i < n; i++) h = h * 31 + hashValue(arrAt(v, i));
      return mix(h);
    }
    case T_OBJECT: {
      let h: u32 = 0xa54ff53a;
      let n = tabLen(v);
      for (let i: u32 = 0; i < n; i++) {
        let e = entryAt(v, i);
        h += mix(hashValue(entryKey(e)) * 31 + hashValue(entryValue(e)));
      }
      return mix(h);
    }
    case T_SET: {
      let h: u32 = 0x510e527f;
      let n = tabLen(v);
      for (let i: u32 = 0; i < n; i++) h += mix(hashValue(entryKey(entryAt(v, i))));
      return mix(h);
    }
  }
  return 0;
}

export function capgate_value_compare(a: usize, b: usize): i32 { return compareValues(a, b); }
export function capgate_value_equal(a: usize, b: usize): u32 { return equalValues(a, b) ? 1 : 0; }
export function capgate_value_hash(v: usize): u32 { return hashValue(v); }
