// Object built-ins.
//   object.get 3 | object.keys 1 | object.remove 2 | object.union 2 | object.union_n 1
//   object.filter 2 | object.subset 2
import { T_ARRAY, T_OBJECT, T_SET, arrLen, arrAt, capgate_object, capgate_set, capgate_boolean } from "../value";
import { tabLen, tabFind, tabPut, tabSort, entryAt, entryKey, entryValue } from "../table";
import { capgate_set_add, capgate_value_get } from "../collections";
import { equalValues } from "../compare";
import { typeErr, isType } from "./common";
import { capgate_bi_internal_member_2 } from "./membership";

export function capgate_bi_object_get(o: usize, k: usize, d: usize): usize {
  if (!isType(o, T_OBJECT)) return typeErr("object.get", 1, "object", o);
  if (isType(k, T_ARRAY)) {
    // A path: walk nested objects/arrays; an empty path selects the object itself.
    let cur = o;
    let n = arrLen(k);
    for (let i: u32 = 0; i < n; i++) {
      cur = capgate_value_get(cur, arrAt(k, i));
      if (cur == 0) return d;
    }
    return cur;
  }
  let e = tabFind(o, k);
  return e == 0 ? d : entryValue(e);
}

export function capgate_bi_object_keys(o: usize): usize {
  if (!isType(o, T_OBJECT)) return typeErr("object.keys", 1, "object", o);
  let r = capgate_set();
  tabSort(o);
  let n = tabLen(o);
  for (let i: u32 = 0; i < n; i++) capgate_set_add(r, entryKey(entryAt(o, i)));
  return r;
}

/** Is k among the keys named by `keys` (an array, set or object)? */
function named(keys: usize, k: usize): bool {
  let t = load<u8>(keys);
  if (t == T_OBJECT || t == T_SET) return tabFind(keys, k) != 0;
  let n = arrLen(keys);
  for (let i: u32 = 0; i < n; i++) if (equalValues(arrAt(keys, i), k)) return true;
  return false;
}

function filter(name: string, o: usize, keys: usize, keep: bool): usize {
  if (!isType(o, T_OBJECT)) return typeErr(name, 1, "object", o);
  if (!isType(keys, T_ARRAY) && !isType(keys, T_SET) && !isType(keys, T_OBJECT)) return typeErr(name, 2, "one of {array, set, object}", keys);
  let r = capgate_object();
  tabSort(o);
  let n = tabLen(o);
  for (let i: u32 = 0; i < n; i++) {
    let e = entryAt(o, i);
    if (named(keys, entryKey(e)) == keep) tabPut(r, entryKey(e), entryValue(e));
  }
  return r;
}

export function capgate_bi_object_remove(o: usize, keys: usize): usize { return filter("object.remove", o, keys, false); }
export function capgate_bi_object_filter(o: usize, keys: usize): usize { return filter("object.filter", o, keys, true); }

/** Recursive union where b wins on conflicts (OPA's object.union). */
function union2(a: usize, b: usize): usize {
  let r = capgate_object();
  tabSort(a);
  let n = tabLen(a);
  for (let i: u32 = 0; i < n; i++) { let e = entryAt(a, i); tabPut(r, entryKey(e), entryValue(e)); }
  n = tabLen(b);
  for (let i: u32 = 0; i < n; i++) {
    let e = entryAt(b, i);
    let k = entryKey(e), v = entryValue(e);
    let f = tabFind(r, k);
    if (f != 0 && isType(entryValue(f), T_OBJECT) && isType(v, T_OBJECT)) tabPut(r, k, union2(entryValue(f), v));
    else tabPut(r, k, v);
  }
  return r;
}

export function capgate_bi_object_union(a: usize, b: usize): usize {
  if (!isType(a, T_OBJECT)) return typeErr("object.union", 1, "object", a);
  if (!isType(b, T_OBJECT)) return typeErr("object.union", 2, "object", b);
  return union2(a, b);
}

export function capgate_bi_object_union_n(a: usize): usize {
  if (!isType(a, T_ARRAY)) return typeErr("object.union_n", 1, "array", a);
  let r = capgate_object();
  let n = arrLen(a);
  for (let i: u32 = 0; i < n; i++) {
    let x = arrAt(a, i);
    if (!isType(x, T_OBJECT)) return typeErr("object.union_n", 1, "array of objects", a);
    r = union2(r, x);
  }
  return r;
}

function subset(sup: usize, sub: usize): bool {
  let ts = load<u8>(sup), tb = load<u8>(sub);
  if (ts == T_OBJECT && tb == T_OBJECT) {
    let n = tabLen(sub);
    for (let i: u32 = 0; i < n; i++) {
      let e = entryAt(sub, i);
      let f = tabFind(sup, entryKey(e));
      if (f == 0) return false;
      let sv = entryValue(f), bv = entryValue(e);
      if (isType(sv, T_OBJECT) && isType(bv, T_OBJECT)) { if (!subset(sv, bv)) return false; }
      else if (isType(sv, T_SET) && isType(bv, T_SET)) { if (!subset(sv, bv)) return false; }
      else if (isType(sv, T_ARRAY) && isType(bv, T_ARRAY)) { if (!subset(sv, bv)) return false; }
      else if (!equalValues(sv, bv)) return false;
    }
    return true;
  }
  if (ts == T_SET && tb == T_SET) {
    let n = tabLen(sub);
    for (let i: u32 = 0; i < n; i++) if (tabFind(sup, entryKey(entryAt(sub, i))) == 0) return false;
    return true;
  }
  if (ts == T_ARRAY && tb == T_ARRAY) {
    // sub must appear as a contiguous run inside sup
    let n = arrLen(sup), m = arrLen(sub);
    if (m == 0) return true;
    for (let i: u32 = 0; i + m <= n; i++) {
      let ok = true;
      for (let j: u32 = 0; j < m; j++) if (!equalValues(arrAt(sup, i + j), arrAt(sub, j))) { ok = false; break; }
      if (ok) return true;
    }
    return false;
  }
  if (ts == T_ARRAY && tb == T_SET) {
    let n = tabLen(sub);
    for (let i: u32 = 0; i < n; i++) {
      if (load<u8>(capgate_bi_internal_member_2(entryKey(entryAt(sub, i)), sup), 4) == 0) return false;
    }
    return true;
  }
  return false;
}

function ok(t: usize): bool { return isType(t, T_OBJECT) || isType(t, T_SET) || isType(t, T_ARRAY); }

export function capgate_bi_object_subset(sup: usize, sub: usize): usize {
  if (!ok(sup)) return typeErr("object.subset", 1, "one of {object, set, array}", sup);
  if (!ok(sub)) return typeErr("object.subset", 2, "one of {object, set, array}", sub);
  if (isType(sup, T_OBJECT) != isType(sub, T_OBJECT)) return typeErr("object.subset", 2, "same type as operand 1", sub);
  return capgate_boolean(subset(sup, sub) ? 1 : 0);
}
