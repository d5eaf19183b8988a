// Array built-ins.
//   array.concat 2 | array.slice 3 | array.reverse 1 | array.flatten 1
import { T_ARRAY, T_NUMBER, arrLen, arrAt, capgate_array } from "../value";
import { capgate_array_append } from "../collections";
import { numberAsInt, lastInt } from "../numbers";
import { typeErr, isType } from "./common";

export function capgate_bi_array_concat(a: usize, b: usize): usize {
  if (!isType(a, T_ARRAY)) return typeErr("array.concat", 1, "array", a);
  if (!isType(b, T_ARRAY)) return typeErr("array.concat", 2, "array", b);
  let na = arrLen(a), nb = arrLen(b);
  let r = capgate_array(na + nb);
  for (let i: u32 = 0; i < na; i++) capgate_array_append(r, arrAt(a, i));
  for (let i: u32 = 0; i < nb; i++) capgate_array_append(r, arrAt(b, i));
  return r;
}


export function capgate_bi_array_slice(a: usize, s: usize, e: usize): usize {
  if (!isType(a, T_ARRAY)) return typeErr("array.slice", 1, "array", a);
  if (!isType(s, T_NUMBER)) return typeErr("array.slice", 2, "number", s);
  if (!isType(e, T_NUMBER)) return typeErr("array.slice", 3, "number", e);
  // Non-integral bounds make the slice undefined.
  if (!numberAsInt(s)) return 0;
  let lo = lastInt();
  if (!numberAsInt(e)) return 0;
  let hi = lastInt();
  let n = <i64>arrLen(a);
  if (lo < 0) lo = 0;
  if (hi > n) hi = n;
  if (lo > hi) lo = hi;
  let r = capgate_array(<u32>(hi - lo));
  for (let i = lo; i < hi; i++) capgate_array_append(r, arrAt(a, <u32>i));
  return r;
}

export function capgate_bi_array_reverse(a: usize): usize {
  if (!isType(a, T_ARRAY)) return typeErr("array.reverse", 1, "array", a);
  let n = arrLen(a);
  let r = capgate_array(n);
  for (let i = n; i > 0; i--) capgate_array_append(r, arrAt(a, i - 1));
  return r;
}

/** One level: the items of array items, other items as they are. */
export function capgate_bi_array_flatten(a: usize): usize {
  if (!isType(a, T_ARRAY)) return typeErr("array.flatten", 1, "array", a);
  let n = arrLen(a);
  let r = capgate_array(n);
  for (let i: u32 = 0; i < n; i++) {
    let x = arrAt(a, i);
    if (isType(x, T_ARRAY)) {
      for (let j: u32 = 0; j < arrLen(x); j++) capgate_array_append(r, arrAt(x, j));
    } else capgate_array_append(r, x);
  }
  return r;
}
