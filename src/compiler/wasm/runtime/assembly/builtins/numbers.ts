// Number built-ins.
//   numbers.range 2 | numbers.range_step 3
import { T_NUMBER, capgate_array, capgate_number_int } from "../value";
import { capgate_array_append } from "../collections";
import { numberAsInt, lastInt } from "../numbers";
import { typeErr, builtinErr, isType } from "./common";

function range(name: string, a: usize, b: usize, step: i64): usize {
  if (!isType(a, T_NUMBER) || !numberAsInt(a)) return typeErr(name, 1, "integer", a);
  let x = lastInt();
  if (!isType(b, T_NUMBER) || !numberAsInt(b)) return typeErr(name, 2, "integer", b);
  let y = lastInt();
  let n = (x <= y ? y - x : x - y) / step + 1;
  if (n > 100000000) return builtinErr(name, "range too large");
  let r = capgate_array(<u32>n);
  if (x <= y) for (let i = x; i <= y; i += step) capgate_array_append(r, capgate_number_int(i));
  else for (let i = x; i >= y; i -= step) capgate_array_append(r, capgate_number_int(i));
  return r;
}

export function capgate_bi_numbers_range(a: usize, b: usize): usize { return range("numbers.range", a, b, 1); }

export function capgate_bi_numbers_range_step(a: usize, b: usize, s: usize): usize {
  if (!isType(s, T_NUMBER) || !numberAsInt(s)) return typeErr("numbers.range_step", 3, "integer", s);
  let step = lastInt();
  if (step <= 0) return builtinErr("numbers.range_step", "step must be a positive integer");
  return range("numbers.range_step", a, b, step);
}
