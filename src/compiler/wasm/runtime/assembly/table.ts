// Objects and sets: an entry list that is sorted lazily (by key) whenever
// something iterates or prints it, because Rego scans, dumps and compares
// objects and sets in key order, plus a chained hash table for lookup once the
// table holds more than SMALL entries.
//
// Below that, a lookup scans the list: most objects a policy meets (the input's,
// the answer's) are that small, and comparing a few keys costs less than hashing
// every key as it is inserted, which is most of what parsing the input did. An
// entry's hash is valid only while the table has buckets; they are built (and
// every hash computed) when the table first outgrows SMALL.
//
// Header (24 bytes): [0] type, [1] sorted flag, [4] len, [8] entry list capacity,
// [12] entry list (u32 entry pointers), [16] buckets, [20] bucket count (power of 2).
// Entry (16 bytes): [0] key, [4] value (the key itself for sets), [8] chain next, [12] hash.
import { opa_malloc, alloc, calloc, realloc } from "./memory";
import { hashValue, equalValues, equalStrings, compareValues, compareBytes } from "./compare";
import { sortPointers, BY_ENTRY_KEY } from "./sort";
import { T_STRING, strLen, strPtr } from "./value";

// @ts-ignore: decorator
@inline export function tabLen(t: usize): u32 { return load<u32>(t, 4); }
// @ts-ignore: decorator
@inline function entries(t: usize): usize { return <usize>load<u32>(t, 12); }
// @ts-ignore: decorator
@inline export function entryAt(t: usize, i: u32): usize { return <usize>load<u32>(<usize>load<u32>(t, 12) + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function entryKey(e: usize): usize { return <usize>load<u32>(e); }
// @ts-ignore: decorator
@inline export function entryValue(e: usize): usize { return <usize>load<u32>(e, 4); }

/** The most entries a table holds before it gets hash buckets. */
const SMALL: u32 = 8;

// @ts-ignore: decorator
@inline function hashed(t: usize): bool { return load<u32>(t, 20) != 0; }

/** The entry for `key` in a table with buckets, whose hash is `h`. */
function findHashed(t: usize, key: usize, h: u32): usize {
  let e = <usize>load<u32>(<usize>load<u32>(t, 16) + (<usize>(h & (load<u32>(t, 20) - 1)) << 2));
  while (e != 0) {
    if (load<u32>(e, 12) == h && equalValues(<usize>load<u32>(e), key)) return e;
    e = <usize>load<u32>(e, 8);
  }
  return 0;
}

/** The entry for `key` in a table without buckets: a scan of the list. */
function findScan(t: usize, key: usize): usize {
  let n = load<u32>(t, 4);
  let list = entries(t);
  // String keys, nearly every key there is, skip equalValues' call and type dispatch.
  if (key != 0 && load<u8>(key) == T_STRING) {
    for (let i: u32 = 0; i < n; i++) {
      let e = <usize>load<u32>(list + (<usize>i << 2));
      let k = <usize>load<u32>(e);
      if (load<u8>(k) == T_STRING && equalStrings(k, key)) return e;
    }
    return 0;
  }
  for (let i: u32 = 0; i < n; i++) {
    let e = <usize>load<u32>(list + (<usize>i << 2));
    if (equalValues(<usize>load<u32>(e), key)) return e;
  }
  return 0;
}

export function tabFind(t: usize, key: usize): usize {
  if (load<u32>(t, 4) == 0) return 0;
  return hashed(t) ? findHashed(t, key, hashValue(key)) : findScan(t, key);
}

function rehash(t: usize, nb: u32): void {
  let buckets = calloc(<usize>nb << 2);
  let n = load<u32>(t, 4);
  let list = entries(t);
  for (let i: u32 = 0; i < n; i++) {
    let e = <usize>load<u32>(list + (<usize>i << 2));
    let slot = buckets + (<usize>(load<u32>(e, 12) & (nb - 1)) << 2);
    store<u32>(e, load<u32>(slot), 8);
    store<u32>(slot, <u32>e);
  }
  store<u32>(t, <u32>buckets, 16);
  store<u32>(t, nb, 20);
}

/** Gives a table that has outgrown SMALL its buckets, hashing every entry. */
function addBuckets(t: usize, nb: u32): void {
  let n = load<u32>(t, 4);
  let list = entries(t);
  for (let i: u32 = 0; i < n; i++) {
    let e = <usize>load<u32>(list + (<usize>i << 2));
    store<u32>(e, hashValue(<usize>load<u32>(e)), 12);
  }
  rehash(t, nb);
}

// @ts-ignore: decorator
@inline function keyHash(t: usize, key: usize): u32 { return hashed(t) ? hashValue(key) : 0; }

/** The entry for `key`, whose hash is `h` when the table has buckets (keyHash). */
// @ts-ignore: decorator
@inline function lookup(t: usize, key: usize, h: u32): usize {
  if (hashed(t)) return findHashed(t, key, h);
  return load<u32>(t, 4) == 0 ? 0 : findScan(t, key);
}

/** Insert or replace; returns the entry. */
export function tabPut(t: usize, key: usize, value: usize): usize {
  let h = keyHash(t, key);
  let e = lookup(t, key, h);
  if (e != 0) { store<u32>(e, <u32>value, 4); return e; }
  return append(t, key, value, h);
}

/** A set's add: inserts `key` when no equal key is there (one lookup, where find then put made two); an equal key stays as it is. */
export function tabAdd(t: usize, key: usize): void {
  let h = keyHash(t, key);
  if (lookup(t, key, h) == 0) append(t, key, key, h);
}

/** Inserts a key the caller knows is not in the table (a set built from another set's distinct keys), without looking. */
export function tabAppend(t: usize, key: usize, value: usize): usize {
  return append(t, key, value, keyHash(t, key));
}

/** Adds an entry for a key not in the table, `h` its hash when the table has buckets. */
// @ts-ignore: decorator
@inline function append(t: usize, key: usize, value: usize, h: u32): usize {
  let n = load<u32>(t, 4);
  let cap = load<u32>(t, 8);
  if (n == cap) {
    let ncap = cap == 0 ? 8 : cap << 1;
    store<u32>(t, <u32>realloc(entries(t), <usize>cap << 2, <usize>ncap << 2), 12);
    store<u32>(t, ncap, 8);
  }
  let e = alloc(16);
  store<u32>(e, <u32>key);
  store<u32>(e, <u32>value, 4);
  store<u32>(e, 0, 8);
  let list = entries(t);
  if (n > 0 && load<u8>(t, 1) != 0) {
    let last = <usize>load<u32>(<usize>load<u32>(list + ((<usize>n - 1) << 2)));
    // String keys (nearly all) compare their bytes without compareValues' dispatch.
    let after = load<u8>(last) == T_STRING && load<u8>(key) == T_STRING
      ? compareBytes(strPtr(last), strLen(last), strPtr(key), strLen(key)) > 0
      : compareValues(last, key) > 0;
    if (after) store<u8>(t, 0, 1);
  }
  store<u32>(list + (<usize>n << 2), <u32>e);
  store<u32>(t, n + 1, 4);
  let nb = load<u32>(t, 20);
  if (nb == 0) {
    // The new entry is in the list, so addBuckets hashes it with the others.
    store<u32>(e, 0, 12);
    if (n + 1 > SMALL) addBuckets(t, 16);
    return e;
  }
  store<u32>(e, h, 12);
  if ((n + 1) * 4 > nb * 3) rehash(t, nb << 1);
  else {
    let slot = <usize>load<u32>(t, 16) + (<usize>(h & (nb - 1)) << 2);
    store<u32>(e, load<u32>(slot), 8);
    store<u32>(slot, <u32>e);
  }
  return e;
}

/** Remove key; returns true when it was present. */
export function tabRemove(t: usize, key: usize): bool {
  let e = tabFind(t, key);
  if (e == 0) return false;
  let nb = load<u32>(t, 20);
  if (nb != 0) {
    let slot = <usize>load<u32>(t, 16) + (<usize>(load<u32>(e, 12) & (nb - 1)) << 2);
    let p = <usize>load<u32>(slot);
    if (p == e) store<u32>(slot, load<u32>(e, 8));
    else {
      while (<usize>load<u32>(p, 8) != e) p = <usize>load<u32>(p, 8);
      store<u32>(p, load<u32>(e, 8), 8);
    }
  }
  let n = load<u32>(t, 4);
  let list = entries(t);
  for (let i: u32 = 0; i < n; i++) {
    if (<usize>load<u32>(list + (<usize>i << 2)) == e) {
      memory.copy(list + (<usize>i << 2), list + ((<usize>i + 1) << 2), (<usize>(n - i - 1)) << 2);
      break;
    }
  }
  store<u32>(t, n - 1, 4);
  return true;
}

/** Put the entry list in key order (a no-op when it already is). */
export function tabSort(t: usize): void {
  if (load<u8>(t, 1) != 0) return;
  sortPointers(BY_ENTRY_KEY, entries(t), load<u32>(t, 4));
  store<u8>(t, 1, 1);
}

/** A new table of the same type with the same entries (keys and values shared). */
export function tabCopy(t: usize): usize {
  let c = calloc(24);
  store<u8>(c, load<u8>(t));
  store<u8>(c, 1, 1);
  let n = load<u32>(t, 4);
  if (n == 0) return c;
  let cap = n;
  let list = opa_malloc(<usize>cap << 2);
  let src = entries(t);
  for (let i: u32 = 0; i < n; i++) {
    let e = <usize>load<u32>(src + (<usize>i << 2));
    let ne = opa_malloc(16);
    memory.copy(ne, e, 16);
    store<u32>(list + (<usize>i << 2), <u32>ne);
  }
  store<u8>(c, load<u8>(t, 1), 1);
  store<u32>(c, n, 4);
  store<u32>(c, cap, 8);
  store<u32>(c, <u32>list, 12);
  if (!hashed(t)) return c;
  // The source's buckets mean its entries' hashes, copied above, are valid.
  let nb: u32 = 16;
  while (n * 4 > nb * 3) nb <<= 1;
  rehash(c, nb);
  return c;
}
