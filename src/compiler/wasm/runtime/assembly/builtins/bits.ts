// Bitwise built-ins on integers.
//   bits.and 2 | bits.or 2 | bits.xor 2 | bits.negate 1 | bits.lsh 2 | bits.rsh 2
import { T_NUMBER, capgate_number_int } from "../value";
import { numberAsInt, lastInt } from "../numbers";
import { typeErr, builtinErr, isType } from "./common";

const AND: u32 = 0;
const OR: u32 = 1;
const XOR: u32 = 2;
const LSH: u32 = 3;
const RSH: u32 = 4;

function bin(name: string, op: u32, a: usize, b: usize): usize {
  if (!isType(a, T_NUMBER) || !numberAsInt(a)) return typeErr(name, 1, "integer", a);
  let x = lastInt();
  if (!isType(b, T_NUMBER) || !numberAsInt(b)) return typeErr(name, 2, "integer", b);
  let y = lastInt();
  switch (op) {
    case AND: return capgate_number_int(x & y);
    case OR: return capgate_number_int(x | y);
    case XOR: return capgate_number_int(x ^ y);
    case LSH: {
      if (y < 0) return builtinErr(name, "shift count must be non-negative");
      if (y >= 63 || (x != 0 && (x << y) >> y != x)) return builtinErr(name, "result overflows int64");
      return capgate_number_int(x << y);
    }
    default: {
      if (y < 0) return builtinErr(name, "shift count must be non-negative");
      return capgate_number_int(y >= 64 ? (x < 0 ? -1 : 0) : x >> y);
    }
  }
}

export function capgate_bi_bits_and(a: usize, b: usize): usize { return bin("bits.and", AND, a, b); }
export function capgate_bi_bits_or(a: usize, b: usize): usize { return bin("bits.or", OR, a, b); }
export function capgate_bi_bits_xor(a: usize, b: usize): usize { return bin("bits.xor", XOR, a, b); }
export function capgate_bi_bits_lsh(a: usize, b: usize): usize { return bin("bits.lsh", LSH, a, b); }
export function capgate_bi_bits_rsh(a: usize, b: usize): usize { return bin("bits.rsh", RSH, a, b); }

export function capgate_bi_bits_negate(a: usize): usize {
  if (!isType(a, T_NUMBER) || !numberAsInt(a)) return typeErr("bits.negate", 1, "integer", a);
  return capgate_number_int(~lastInt());
}
