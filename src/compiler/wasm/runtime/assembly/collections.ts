// Operations the planned code performs on values: Dot, Len, appending and
// inserting into fresh collections, ObjectMerge, copies for With, and the
// in-place path edits of the OPA ABI (opa_value_add_path / remove_path).
import { realloc } from "./memory";
import {
  T_STRING, T_ARRAY, T_OBJECT, T_SET, T_NUMBER,
  arrLen, arrAt, strLen, strPtr, capgate_array, capgate_object, capgate_number_int,
} from "./value";
import { numberAsInt, lastInt } from "./numbers";
import { equalValues, compareValues } from "./compare";
import { tabFind, tabPut, tabAdd, tabAppend, tabLen, tabCopy, tabRemove, entryAt, entryKey, entryValue, tabSort } from "./table";
import { utf8Count } from "./utf8";

export function capgate_array_append(a: usize, v: usize): void {
  let n = arrLen(a);
  let cap = load<u32>(a, 8);
  if (n == cap) {
    let ncap = cap < 4 ? 4 : cap << 1;
    store<u32>(a, <u32>realloc(<usize>load<u32>(a, 12), <usize>cap << 2, <usize>ncap << 2), 12);
    store<u32>(a, ncap, 8);
  }
  store<u32>(<usize>load<u32>(a, 12) + (<usize>n << 2), <u32>v);
  store<u32>(a, n + 1, 4);
}

export function capgate_array_get(a: usize, i: i32): usize {
  if (a == 0 || load<u8>(a) != T_ARRAY || i < 0 || <u32>i >= arrLen(a)) return 0;
  return arrAt(a, <u32>i);
}

export function capgate_object_insert(o: usize, k: usize, v: usize): void { tabPut(o, k, v); }

export function capgate_object_insert_once(o: usize, k: usize, v: usize): u32 {
  let e = tabFind(o, k);
  if (e == 0) { tabAppend(o, k, v); return 0; }
  return equalValues(entryValue(e), v) ? 0 : 1;
}

export function capgate_object_get(o: usize, k: usize): usize {
  if (o == 0 || k == 0 || load<u8>(o) != T_OBJECT) return 0;
  let e = tabFind(o, k);
  return e == 0 ? 0 : entryValue(e);
}

export function capgate_set_add(s: usize, v: usize): void {
  tabAdd(s, v);
}

export function capgate_set_contains(s: usize, v: usize): u32 {
  if (s == 0 || v == 0 || load<u8>(s) != T_SET) return 0;
  return tabFind(s, v) != 0 ? 1 : 0;
}

export function capgate_value_get(v: usize, k: usize): usize {
  if (v == 0 || k == 0) return 0;
  let t = load<u8>(v);
  if (t == T_OBJECT) { let e = tabFind(v, k); return e == 0 ? 0 : entryValue(e); }
  if (t == T_ARRAY) {
    if (load<u8>(k) != T_NUMBER || !numberAsInt(k)) return 0;
    let i = lastInt();
    if (i < 0 || i >= <i64>arrLen(v)) return 0;
    return arrAt(v, <u32>i);
  }
  if (t == T_SET) { let e = tabFind(v, k); return e == 0 ? 0 : entryKey(e); }
  return 0;
}

export function capgate_value_length(v: usize): i32 {
  if (v == 0) return -1;
  let t = load<u8>(v);
  if (t == T_ARRAY) return <i32>arrLen(v);
  if (t == T_OBJECT || t == T_SET) return <i32>tabLen(v);
  if (t == T_STRING) return <i32>utf8Count(strPtr(v), strLen(v));
  return -1;
}

export function capgate_len(v: usize): usize {
  let n = capgate_value_length(v);
  return n < 0 ? 0 : capgate_number_int(<i64>n);
}

export function capgate_value_shallow_copy(v: usize): usize {
  if (v == 0) return 0;
  let t = load<u8>(v);
  if (t == T_ARRAY) {
    let n = arrLen(v);
    let c = capgate_array(n);
    for (let i: u32 = 0; i < n; i++) capgate_array_append(c, arrAt(v, i));
    return c;
  }
  if (t == T_OBJECT || t == T_SET) return tabCopy(v);
  return v;
}

function mergeInto(dst: usize, src: usize): void {
  // dst is a fresh copy of a; add src's keys, merging objects recursively.
  let n = tabLen(src);
  for (let i: u32 = 0; i < n; i++) {
    let e = entryAt(src, i);
    let k = entryKey(e);
    let f = tabFind(dst, k);
    if (f == 0) { tabAppend(dst, k, entryValue(e)); continue; }
    let av = entryValue(f), bv = entryValue(e);
    if (load<u8>(av) == T_OBJECT && load<u8>(bv) == T_OBJECT) tabPut(dst, k, capgate_object_merge(av, bv));
  }
}

export function capgate_object_merge(a: usize, b: usize): usize {
  if (a == 0) return b;
  if (b == 0) return a;
  if (load<u8>(a) != T_OBJECT) return a;
  if (load<u8>(b) != T_OBJECT) return a;
  let c = tabCopy(a);
  mergeInto(c, b);
  return c;
}

export function capgate_value_upsert(base: usize, path: usize, value: usize): usize {
  let n = arrLen(path);
  if (n == 0) return value;
  let root = base != 0 && load<u8>(base) == T_OBJECT ? tabCopy(base) : capgate_object();
  let cur = root;
  for (let i: u32 = 0; i + 1 < n; i++) {
    let k = arrAt(path, i);
    let e = tabFind(cur, k);
    let next: usize;
    if (e != 0 && load<u8>(entryValue(e)) == T_OBJECT) next = tabCopy(entryValue(e));
    else next = capgate_object();
    tabPut(cur, k, next);
    cur = next;
  }
  tabPut(cur, arrAt(path, n - 1), value);
  return root;
}

/** Walk path (an array of keys) through objects; 0 when a level is missing. */
function validPath(path: usize): bool {
  return path != 0 && load<u8>(path) == T_ARRAY;
}

export function opa_value_add_path(base: usize, path: usize, value: usize): u32 {
  if (!validPath(path) || base == 0 || load<u8>(base) != T_OBJECT) return 2;
  let n = arrLen(path);
  if (n == 0) return 2;
  let cur = base;
  for (let i: u32 = 0; i + 1 < n; i++) {
    let k = arrAt(path, i);
    let e = tabFind(cur, k);
    if (e == 0 || load<u8>(entryValue(e)) != T_OBJECT) {
      let o = capgate_object();
      tabPut(cur, k, o);
      cur = o;
    } else cur = entryValue(e);
  }
  tabPut(cur, arrAt(path, n - 1), value);
  return 0;
}

export function opa_value_remove_path(base: usize, path: usize): u32 {
  if (!validPath(path) || base == 0) return 2;
  let n = arrLen(path);
  if (n == 0) return 2;
  let cur = base;
  for (let i: u32 = 0; i + 1 < n; i++) {
    if (load<u8>(cur) != T_OBJECT) return 0;
    let e = tabFind(cur, arrAt(path, i));
    if (e == 0) return 0;
    cur = entryValue(e);
  }
  if (load<u8>(cur) == T_OBJECT || load<u8>(cur) == T_SET) tabRemove(cur, arrAt(path, n - 1));
  return 0;
}

// --- iteration ---------------------------------------------------------------

export function capgate_iter_count(v: usize): u32 {
  if (v == 0) return 0;
  let t = load<u8>(v);
  if (t == T_ARRAY) return arrLen(v);
  if (t == T_OBJECT || t == T_SET) { tabSort(v); return tabLen(v); }
  return 0;
}

export function capgate_iter_key(v: usize, i: u32): usize {
  let t = load<u8>(v);
  if (t == T_ARRAY) return capgate_number_int(<i64>i);
  return entryKey(entryAt(v, i));
}

export function capgate_iter_value(v: usize, i: u32): usize {
  let t = load<u8>(v);
  if (t == T_ARRAY) return arrAt(v, i);
  return entryValue(entryAt(v, i));
}

export function capgate_value_iter(v: usize, prev: usize): usize {
  let n = capgate_iter_count(v);
  if (n == 0) return 0;
  let t = load<u8>(v);
  if (t == T_ARRAY) {
    if (prev == 0) return capgate_number_int(0);
    if (!numberAsInt(prev)) return 0;
    let i = lastInt() + 1;
    return i < <i64>n ? capgate_number_int(i) : 0;
  }
  if (prev == 0) return entryKey(entryAt(v, 0));
  // Entries are sorted by key: binary search the previous key's position.
  let lo: u32 = 0, hi = n;
  while (lo < hi) {
    let mid = (lo + hi) >> 1;
    if (compareValues(entryKey(entryAt(v, mid)), prev) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < n ? entryKey(entryAt(v, lo)) : 0;
}

