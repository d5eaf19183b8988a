// Array built-ins.
//   array.concat 2 | array.slice 3 | array.reverse 1
import { T_ARRAY, T_NUMBER, arrLen, arrAt, capgate_array } from "../value";
import { capgate_array_append } from "../collections";
import { numberAsInt, lastInt, numberToF64 } from "../numbers";
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

function index(v: usize): i64 {
  if (numberAsInt(v)) return lastInt();
  return <i64>Math.floor(numberToF64(v));
}

export function capgate_bi_array_slice(a: usize, s: usize, e: usize): usize {
  if (!isType(a, T_ARRAY)) return typeErr("array.slice", 1, "array", a);
  if (!isType(s, T_NUMBER)) return typeErr("array.slice", 2, "number", s);
  if (!isType(e, T_NUMBER)) return typeErr("array.slice", 3, "number", e);
  let n = <i64>arrLen(a);
  let lo = index(s), hi = index(e);
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
