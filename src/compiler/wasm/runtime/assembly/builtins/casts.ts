// Conversion built-ins kept for Rego v0 policies (deprecated in OPA, still accepted).
//   cast_array 1 | cast_set 1 | cast_string 1 | cast_boolean 1 | cast_null 1 | cast_object 1
import { T_ARRAY, T_SET, T_STRING, T_BOOLEAN, T_NULL, T_OBJECT, arrLen, arrAt, capgate_array, capgate_set } from "../value";
import { tabLen, tabSort, entryAt, entryKey } from "../table";
import { capgate_array_append, capgate_set_add } from "../collections";
import { typeErr, isType } from "./common";

export function capgate_bi_cast_array(v: usize): usize {
  if (isType(v, T_ARRAY)) return v;
  if (!isType(v, T_SET)) return typeErr("cast_array", 1, "one of {array, set}", v);
  tabSort(v);
  let n = tabLen(v);
  let r = capgate_array(n);
  for (let i: u32 = 0; i < n; i++) capgate_array_append(r, entryKey(entryAt(v, i)));
  return r;
}

export function capgate_bi_cast_set(v: usize): usize {
  if (isType(v, T_SET)) return v;
  if (!isType(v, T_ARRAY)) return typeErr("cast_set", 1, "one of {array, set}", v);
  let r = capgate_set();
  let n = arrLen(v);
  for (let i: u32 = 0; i < n; i++) capgate_set_add(r, arrAt(v, i));
  return r;
}

export function capgate_bi_cast_string(v: usize): usize { return isType(v, T_STRING) ? v : typeErr("cast_string", 1, "string", v); }
export function capgate_bi_cast_boolean(v: usize): usize { return isType(v, T_BOOLEAN) ? v : typeErr("cast_boolean", 1, "boolean", v); }
export function capgate_bi_cast_null(v: usize): usize { return isType(v, T_NULL) ? v : typeErr("cast_null", 1, "null", v); }
export function capgate_bi_cast_object(v: usize): usize { return isType(v, T_OBJECT) ? v : typeErr("cast_object", 1, "object", v); }
