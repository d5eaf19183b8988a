// Comparison built-ins (operators ==, !=, <, <=, >, >=) under Rego's total order.
//   equal 2 | neq 2 | lt 2 | lte 2 | gt 2 | gte 2
import { capgate_boolean } from "../value";
import { compareValues, equalValues } from "../compare";

export function capgate_bi_equal(a: usize, b: usize): usize { return capgate_boolean(equalValues(a, b) ? 1 : 0); }
export function capgate_bi_neq(a: usize, b: usize): usize { return capgate_boolean(equalValues(a, b) ? 0 : 1); }
export function capgate_bi_lt(a: usize, b: usize): usize { return capgate_boolean(compareValues(a, b) < 0 ? 1 : 0); }
export function capgate_bi_lte(a: usize, b: usize): usize { return capgate_boolean(compareValues(a, b) <= 0 ? 1 : 0); }
export function capgate_bi_gt(a: usize, b: usize): usize { return capgate_boolean(compareValues(a, b) > 0 ? 1 : 0); }
export function capgate_bi_gte(a: usize, b: usize): usize { return capgate_boolean(compareValues(a, b) >= 0 ? 1 : 0); }
