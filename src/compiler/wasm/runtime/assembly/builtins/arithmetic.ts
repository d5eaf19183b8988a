// Arithmetic built-ins. Integers stay int64 while exact; anything else (an
// overflow, a decimal, a big integer) is added, subtracted and multiplied as
// an exact decimal (decimal.ts), so 0.1 + 0.2 == 0.3 and integers past int64
// stay exact, as in OPA. Division is float64 unless exact in integers.
//   plus 2 | minus 2 (numbers or sets) | mul 2 | div 2 | rem 2
//   abs 1 | round 1 | ceil 1 | floor 1
import { T_NUMBER, T_SET, capgate_number_int } from "../value";
import { numberAsInt, lastInt, numberToF64, numberFromF64 } from "../numbers";
import { typeErr, builtinErr, isType } from "./common";
import { capgate_set_diff } from "./sets";
import { decOf, decAdd, decMul, decToNumber } from "../decimal";

const OP_ADD: u32 = 0;
const OP_SUB: u32 = 1;
const OP_MUL: u32 = 2;

function arith(name: string, op: u32, a: usize, b: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr(name, 1, "number", a);
  if (!isType(b, T_NUMBER)) return typeErr(name, 2, "number", b);
  if (numberAsInt(a)) {
    let x = lastInt();
    if (numberAsInt(b)) {
      let y = lastInt();
      if (op == OP_ADD) {
        let r = x + y;
        if (((x ^ r) & (y ^ r)) >= 0) return capgate_number_int(r);
      } else if (op == OP_SUB) {
        let r = x - y;
        if (((x ^ y) & (x ^ r)) >= 0) return capgate_number_int(r);
      } else {
        if (x == 0 || y == 0) return capgate_number_int(0);
        let r = x * y;
        if (r / y == x && !(x == -1 && y == i64.MIN_VALUE) && !(y == -1 && x == i64.MIN_VALUE)) return capgate_number_int(r);
      }
    }
  }
  let da = decOf(a), db = decOf(b);
  if (da != 0 && db != 0) {
    let d = op == OP_MUL ? decMul(da, db) : decAdd(da, db, op == OP_SUB);
    if (d != 0) return decToNumber(d);
  }
  // Past the decimal size limit (or a NaN): float64.
  let fx = numberToF64(a), fy = numberToF64(b);
  let r = op == OP_ADD ? fx + fy : op == OP_SUB ? fx - fy : fx * fy;
  return numberFromF64(r);
}

export function capgate_bi_plus(a: usize, b: usize): usize { return arith("plus", OP_ADD, a, b); }
export function capgate_bi_mul(a: usize, b: usize): usize { return arith("mul", OP_MUL, a, b); }

export function capgate_bi_minus(a: usize, b: usize): usize {
  if (isType(a, T_SET) && isType(b, T_SET)) return capgate_set_diff(a, b);
  if (isType(a, T_SET)) return typeErr("minus", 2, "set", b);
  if (!isType(a, T_NUMBER)) return typeErr("minus", 1, "number or set", a);
  return arith("minus", OP_SUB, a, b);
}

export function capgate_bi_div(a: usize, b: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr("div", 1, "number", a);
  if (!isType(b, T_NUMBER)) return typeErr("div", 2, "number", b);
  let fy = numberToF64(b);
  if (fy == 0) return builtinErr("div", "divide by zero");
  if (numberAsInt(a)) {
    let x = lastInt();
    if (numberAsInt(b)) {
      let y = lastInt();
      if (!(x == i64.MIN_VALUE && y == -1) && x % y == 0) return capgate_number_int(x / y);
    }
  }
  return numberFromF64(numberToF64(a) / fy);
}

export function capgate_bi_rem(a: usize, b: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr("rem", 1, "number", a);
  if (!isType(b, T_NUMBER)) return typeErr("rem", 2, "number", b);
  if (!numberAsInt(a)) return builtinErr("rem", "modulo on floating-point number");
  let x = lastInt();
  if (!numberAsInt(b)) return builtinErr("rem", "modulo on floating-point number");
  let y = lastInt();
  if (y == 0) return builtinErr("rem", "modulo by zero");
  if (y == -1) return capgate_number_int(0);
  return capgate_number_int(x % y);
}

export function capgate_bi_abs(a: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr("abs", 1, "number", a);
  if (numberAsInt(a)) { let x = lastInt(); if (x != i64.MIN_VALUE) return capgate_number_int(x < 0 ? -x : x); }
  return numberFromF64(Math.abs(numberToF64(a)));
}

export function capgate_bi_round(a: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr("round", 1, "number", a);
  if (numberAsInt(a)) return capgate_number_int(lastInt());
  let f = numberToF64(a);
  // Go's math.Round: half away from zero.
  let r = f < 0 ? -Math.floor(-f + 0.5) : Math.floor(f + 0.5);
  return numberFromF64(r);
}

export function capgate_bi_ceil(a: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr("ceil", 1, "number", a);
  if (numberAsInt(a)) return capgate_number_int(lastInt());
  return numberFromF64(Math.ceil(numberToF64(a)));
}

export function capgate_bi_floor(a: usize): usize {
  if (!isType(a, T_NUMBER)) return typeErr("floor", 1, "number", a);
  if (numberAsInt(a)) return capgate_number_int(lastInt());
  return numberFromF64(Math.floor(numberToF64(a)));
}
