// Unit-suffix parsing built-ins.
//   units.parse 1 (SI and binary suffixes: "10k", "1.5Mi", "5m" = 0.005)
//   units.parse_bytes 1 (byte counts: "10KB", "1KiB", "2gb"; case-insensitive)
import { T_STRING, strLen, strPtr } from "../value";
import { parseF64, numberFromF64 } from "../numbers";
import { typeErr, builtinErr, isType } from "./common";

let numEnd: u32 = 0;

/** Parse the leading decimal number; its end offset lands in numEnd. */
function leadingNumber(p: usize, n: u32): f64 {
  let i: u32 = 0;
  while (i < n) {
    let c = load<u8>(p + i);
    if ((c >= 48 && c <= 57) || c == 46) i++;
    else break;
  }
  numEnd = i;
  if (i == 0) return NaN;
  return parseF64(p, i);
}

function hasSpace(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + i) == 32) return true;
  return false;
}

function lowerAt(p: usize, i: u32): u32 {
  let c = <u32>load<u8>(p + i);
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Power-of-1000 exponent of a letter (k=1 ... e=6), or -1: OPA knows no larger prefix. */
function siPower(c: u32): i32 {
  switch (c) {
    case 107: return 1; // k
    case 109: return 2; // m
    case 103: return 3; // g
    case 116: return 4; // t
    case 112: return 5; // p
    case 101: return 6; // e
  }
  return -1;
}

function unknownUnit(): usize {
  return builtinErr("units.parse", "unit not recognized");
}

/** Strip one pair of surrounding double quotes. */
let sp: usize = 0;
let sn: u32 = 0;
function unquote(v: usize): void {
  sp = strPtr(v); sn = strLen(v);
  if (sn >= 2 && load<u8>(sp) == 34 && load<u8>(sp + sn - 1) == 34) { sp++; sn -= 2; }
}

export function capgate_bi_units_parse_bytes(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("units.parse_bytes", 1, "string", v);
  unquote(v);
  let p = sp, n = sn;
  if (hasSpace(p, n)) return builtinErr("units.parse_bytes", "spaces not allowed in resource string");
  let x = leadingNumber(p, n);
  if (isNaN(x)) return builtinErr("units.parse_bytes", "no byte amount provided");
  let i = numEnd;
  let rest = n - i;
  let mult: f64 = 1;
  if (rest > 0) {
    let c = lowerAt(p, i);
    let pw = siPower(c);
    // "b" alone means bytes
    if (rest == 1 && c == 98) pw = 0;
    if (pw < 0) return builtinErr("units.parse_bytes", "byte unit not recognised");
    let binary = rest >= 2 && lowerAt(p, i + 1) == 105;
    let used: u32 = pw == 0 ? 1 : binary ? 2 : 1;
    if (i + used < n) {
      if (i + used + 1 != n || lowerAt(p, i + used) != 98) return builtinErr("units.parse_bytes", "byte unit not recognised");
    }
    mult = binary ? Math.pow(1024, <f64>pw) : Math.pow(1000, <f64>pw);
  }
  return numberFromF64(Math.floor(x * mult));
}

export function capgate_bi_units_parse(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("units.parse", 1, "string", v);
  unquote(v);
  let p = sp, n = sn;
  if (hasSpace(p, n)) return builtinErr("units.parse", "spaces not allowed in resource string");
  let x = leadingNumber(p, n);
  if (isNaN(x)) return builtinErr("units.parse", "no amount provided");
  let i = numEnd;
  let rest = n - i;
  if (rest == 0) return numberFromF64(x);
  // The units OPA accepts (topdown/parse_units.go builtinUnits); letters after
  // the first are case-insensitive, so "KI" is "Ki" while "m" and "M" differ.
  let c = <u32>load<u8>(p + i);
  if (rest == 2 && lowerAt(p, i + 1) == 105) {
    let pw = siPower(c >= 65 && c <= 90 ? c + 32 : c);
    if (pw < 0) return unknownUnit();
    return numberFromF64(x * Math.pow(1024, <f64>pw));
  }
  let e: i32 = 0;
  if (rest != 1) return unknownUnit();
  switch (c) {
    case 69: case 101: e = 18; break; // E e
    case 80: case 112: e = 15; break; // P p
    case 84: case 116: e = 12; break; // T t
    case 71: case 103: e = 9; break; // G g
    case 77: e = 6; break; // M
    case 75: case 107: e = 3; break; // K k
    case 109: e = -3; break; // m
    default: return unknownUnit();
  }
  // Scale by dividing for negative exponents so 1m prints as 0.001, not 0.0010000000000000002.
  let r = e >= 0 ? x * Math.pow(10, <f64>e) : x / Math.pow(10, <f64>(-e));
  return numberFromF64(r);
}
