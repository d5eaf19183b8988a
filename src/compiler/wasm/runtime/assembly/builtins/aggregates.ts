// Aggregate built-ins over collections.
//   count 1 | sum 1 | product 1 | max 1 | min 1 | sort 1
import { T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, arrLen, arrAt, capgate_array, capgate_number_int } from "../value";
import { tabLen, tabSort, entryAt, entryKey } from "../table";
import { capgate_value_length, capgate_array_append } from "../collections";
import { compareValues } from "../compare";
import { sortPointers, BY_VALUE } from "../sort";
import { typeErr, isType } from "./common";
import { capgate_bi_plus, capgate_bi_mul } from "./arithmetic";

export function capgate_bi_count(v: usize): usize {
  if (v != 0) {
    let t = load<u8>(v);
    if (t == T_ARRAY || t == T_OBJECT || t == T_SET || t == T_STRING) return capgate_number_int(<i64>capgate_value_length(v));
  }
  return typeErr("count", 1, "one of {array, object, set, string}", v);
}

// @ts-ignore: decorator
@inline function isColl(v: usize): bool { return isType(v, T_ARRAY) || isType(v, T_SET); }

// @ts-ignore: decorator
@inline function collLen(v: usize): u32 { return load<u8>(v) == T_ARRAY ? arrLen(v) : tabLen(v); }

// @ts-ignore: decorator
@inline function collAt(v: usize, i: u32): usize { return load<u8>(v) == T_ARRAY ? arrAt(v, i) : entryKey(entryAt(v, i)); }

function fold(name: string, v: usize, mul: bool): usize {
  if (!isColl(v)) return typeErr(name, 1, "one of {array, set}", v);
  if (load<u8>(v) == T_SET) tabSort(v);
  let n = collLen(v);
  let acc = capgate_number_int(mul ? 1 : 0);
  for (let i: u32 = 0; i < n; i++) {
    let x = collAt(v, i);
    if (!isType(x, T_NUMBER)) return typeErr(name, 1, "collection of numbers", v);
    acc = mul ? capgate_bi_mul(acc, x) : capgate_bi_plus(acc, x);
  }
  return acc;
}

export function capgate_bi_sum(v: usize): usize { return fold("sum", v, false); }
export function capgate_bi_product(v: usize): usize { return fold("product", v, true); }

function extreme(name: string, v: usize, sign: i32): usize {
  if (!isColl(v)) return typeErr(name, 1, "one of {array, set}", v);
  let n = collLen(v);
  if (n == 0) return 0;
  let best = collAt(v, 0);
  for (let i: u32 = 1; i < n; i++) {
    let x = collAt(v, i);
    if (compareValues(x, best) * sign > 0) best = x;
  }
  return best;
}

export function capgate_bi_max(v: usize): usize { return extreme("max", v, 1); }
export function capgate_bi_min(v: usize): usize { return extreme("min", v, -1); }

export function capgate_bi_sort(v: usize): usize {
  if (!isColl(v)) return typeErr("sort", 1, "one of {array, set}", v);
  if (load<u8>(v) == T_SET) tabSort(v);
  let n = collLen(v);
  let r = capgate_array(n);
  for (let i: u32 = 0; i < n; i++) capgate_array_append(r, collAt(v, i));
  if (load<u8>(v) == T_ARRAY) sortPointers(BY_VALUE, <usize>load<u32>(r, 12), n);
  return r;
}
