// Set built-ins (operators &, |, - on sets, and the n-ary forms).
//   and 2 | or 2 | intersection 1 | union 1 | set_diff 2 (deprecated)   (minus on sets lives in arithmetic.ts)
import { T_SET, capgate_set } from "../value";
import { tabLen, tabFind, tabAppend, entryAt, entryKey, tabCopy } from "../table";
import { capgate_set_add } from "../collections";
import { typeErr, isType } from "./common";

export function capgate_set_diff(a: usize, b: usize): usize {
  let r = capgate_set();
  let n = tabLen(a);
  for (let i: u32 = 0; i < n; i++) {
    let k = entryKey(entryAt(a, i));
    // a's keys are distinct, so none is in r yet
    if (tabFind(b, k) == 0) tabAppend(r, k, k);
  }
  return r;
}

function intersect(a: usize, b: usize): usize {
  if (tabLen(a) > tabLen(b)) { let t = a; a = b; b = t; }
  let r = capgate_set();
  let n = tabLen(a);
  for (let i: u32 = 0; i < n; i++) {
    let k = entryKey(entryAt(a, i));
    if (tabFind(b, k) != 0) tabAppend(r, k, k);
  }
  return r;
}

function unite(a: usize, b: usize): usize {
  let r = tabCopy(a);
  let n = tabLen(b);
  for (let i: u32 = 0; i < n; i++) capgate_set_add(r, entryKey(entryAt(b, i)));
  return r;
}

export function capgate_bi_and(a: usize, b: usize): usize {
  if (!isType(a, T_SET)) return typeErr("and", 1, "set", a);
  if (!isType(b, T_SET)) return typeErr("and", 2, "set", b);
  return intersect(a, b);
}

export function capgate_bi_or(a: usize, b: usize): usize {
  if (!isType(a, T_SET)) return typeErr("or", 1, "set", a);
  if (!isType(b, T_SET)) return typeErr("or", 2, "set", b);
  return unite(a, b);
}

export function capgate_bi_intersection(s: usize): usize {
  if (!isType(s, T_SET)) return typeErr("intersection", 1, "set of sets", s);
  let n = tabLen(s);
  if (n == 0) return capgate_set();
  let r: usize = 0;
  for (let i: u32 = 0; i < n; i++) {
    let x = entryKey(entryAt(s, i));
    if (!isType(x, T_SET)) return typeErr("intersection", 1, "set of sets", s);
    r = r == 0 ? x : intersect(r, x);
  }
  return r;
}

export function capgate_bi_union(s: usize): usize {
  if (!isType(s, T_SET)) return typeErr("union", 1, "set of sets", s);
  let r = capgate_set();
  let n = tabLen(s);
  for (let i: u32 = 0; i < n; i++) {
    let x = entryKey(entryAt(s, i));
    if (!isType(x, T_SET)) return typeErr("union", 1, "set of sets", s);
    let m = tabLen(x);
    for (let j: u32 = 0; j < m; j++) capgate_set_add(r, entryKey(entryAt(x, j)));
  }
  return r;
}

/** The deprecated set_diff(a, b): a - b for two sets. */
export function capgate_bi_set_diff(a: usize, b: usize): usize {
  if (!isType(a, T_SET)) return typeErr("set_diff", 1, "set", a);
  if (!isType(b, T_SET)) return typeErr("set_diff", 2, "set", b);
  return capgate_set_diff(a, b);
}
