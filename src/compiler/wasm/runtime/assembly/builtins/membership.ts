// Membership built-ins behind the `in` operator.
//   internal.member_2 2 (x in coll) | internal.member_3 3 (k, v in coll)
import { T_ARRAY, T_OBJECT, T_SET, T_NUMBER, arrLen, arrAt, capgate_boolean } from "../value";
import { tabFind, tabLen, entryAt, entryValue } from "../table";
import { equalValues } from "../compare";
import { numberAsInt, lastInt } from "../numbers";

export function capgate_bi_internal_member_2(x: usize, c: usize): usize {
  if (x == 0 || c == 0) return capgate_boolean(0);
  let t = load<u8>(c);
  if (t == T_SET) return capgate_boolean(tabFind(c, x) != 0 ? 1 : 0);
  if (t == T_ARRAY) {
    let n = arrLen(c);
    for (let i: u32 = 0; i < n; i++) if (equalValues(arrAt(c, i), x)) return capgate_boolean(1);
    return capgate_boolean(0);
  }
  if (t == T_OBJECT) {
    let n = tabLen(c);
    for (let i: u32 = 0; i < n; i++) if (equalValues(entryValue(entryAt(c, i)), x)) return capgate_boolean(1);
  }
  return capgate_boolean(0);
}

export function capgate_bi_internal_member_3(k: usize, v: usize, c: usize): usize {
  if (k == 0 || v == 0 || c == 0) return capgate_boolean(0);
  let t = load<u8>(c);
  if (t == T_OBJECT) {
    let e = tabFind(c, k);
    return capgate_boolean(e != 0 && equalValues(entryValue(e), v) ? 1 : 0);
  }
  if (t == T_ARRAY) {
    if (load<u8>(k) != T_NUMBER || !numberAsInt(k)) return capgate_boolean(0);
    let i = lastInt();
    if (i < 0 || i >= <i64>arrLen(c)) return capgate_boolean(0);
    return capgate_boolean(equalValues(arrAt(c, <u32>i), v) ? 1 : 0);
  }
  if (t == T_SET) {
    return capgate_boolean(equalValues(k, v) && tabFind(c, k) != 0 ? 1 : 0);
  }
  return capgate_boolean(0);
}
