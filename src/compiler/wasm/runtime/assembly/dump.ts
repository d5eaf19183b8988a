// Serialisers: JSON (opa_json_dump: sets become arrays, non-string object keys
// become their JSON text) and Rego syntax (opa_value_dump: sets as `{..}` or
// `set()`). Objects and sets print in key order, as OPA does.
import { T_NULL, T_BOOLEAN, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, strLen, strPtr, arrLen, arrAt } from "./value";
import { bufNew, bufByte, bufBytes, bufAscii, bufFinish, bufLen, bufU32 } from "./buffer";
import { bufNumber } from "./numbers";
import { tabLen, tabSort, entryAt, entryKey, entryValue } from "./table";
import { opa_println } from "./error";

const HEX = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

export function bufString(b: usize, p: usize, n: u32): void {
  bufByte(b, 34);
  let run = p;
  let e = p + n;
  for (let q = p; q < e; q++) {
    let c = <u32>load<u8>(q);
    if (c >= 0x20 && c != 34 && c != 92) continue;
    if (q > run) bufBytes(b, run, <u32>(q - run));
    run = q + 1;
    bufByte(b, 92);
    if (c == 34 || c == 92) bufByte(b, c);
    else if (c == 10) bufByte(b, 110);
    else if (c == 13) bufByte(b, 114);
    else if (c == 9) bufByte(b, 116);
    else {
      bufAscii(b, "u00");
      bufByte(b, load<u8>(HEX + (c >> 4)));
      bufByte(b, load<u8>(HEX + (c & 15)));
    }
  }
  if (e > run) bufBytes(b, run, <u32>(e - run));
  bufByte(b, 34);
}

// Output modes: JSON, compact Rego syntax, and the spaced Rego syntax print() uses.
export const MODE_JSON: u32 = 0;
export const MODE_REGO: u32 = 1;
export const MODE_PRINT: u32 = 2;

export function dumpInto(b: usize, v: usize, rego: bool): void { dumpMode(b, v, rego ? MODE_REGO : MODE_JSON); }

function sep(b: usize, mode: u32): void {
  bufByte(b, 44);
  if (mode == MODE_PRINT) bufByte(b, 32);
}

function colon(b: usize, mode: u32): void {
  bufByte(b, 58);
  if (mode == MODE_PRINT) bufByte(b, 32);
}

export function dumpMode(b: usize, v: usize, mode: u32): void {
  let rego = mode != MODE_JSON;
  if (v == 0) { bufAscii(b, mode == MODE_PRINT ? "<undefined>" : "null"); return; }
  switch (load<u8>(v)) {
    case T_NULL: bufAscii(b, "null"); return;
    case T_BOOLEAN: bufAscii(b, load<u8>(v, 4) != 0 ? "true" : "false"); return;
    case T_NUMBER: bufNumber(b, v); return;
    case T_STRING: bufString(b, strPtr(v), strLen(v)); return;
    case T_ARRAY: {
      bufByte(b, 91);
      let n = arrLen(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) sep(b, mode);
        dumpMode(b, arrAt(v, i), mode);
      }
      bufByte(b, 93);
      return;
    }
    case T_OBJECT: {
      tabSort(v);
      bufByte(b, 123);
      let n = tabLen(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) sep(b, mode);
        let e = entryAt(v, i);
        let k = entryKey(e);
        if (rego || load<u8>(k) == T_STRING) dumpMode(b, k, mode);
        else {
          // JSON keys must be strings: use the key's own JSON text.
          let inner = bufNew(32);
          dumpInto(inner, k, false);
          bufString(b, load<u32>(inner), bufLen(inner));
        }
        colon(b, mode);
        dumpMode(b, entryValue(e), mode);
      }
      bufByte(b, 125);
      return;
    }
    default: {
      tabSort(v);
      let n = tabLen(v);
      if (mode == MODE_REGO && n == 0) { bufAscii(b, "set()"); return; }
      bufByte(b, rego ? 123 : 91);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) sep(b, mode);
        dumpMode(b, entryKey(entryAt(v, i)), mode);
      }
      bufByte(b, rego ? 125 : 93);
    }
  }
}

export function opa_json_dump(v: usize): usize {
  let b = bufNew(64);
  dumpInto(b, v, false);
  return bufFinish(b);
}

export function opa_value_dump(v: usize): usize {
  let b = bufNew(64);
  dumpInto(b, v, true);
  return bufFinish(b);
}

/** A new print line holding OPA's `file:row: ` prefix (none when fileLen is 0). */
function printLine(filePtr: usize, fileLen: u32, row: u32): usize {
  let b = bufNew(64);
  if (fileLen > 0) {
    bufBytes(b, filePtr, fileLen);
    bufByte(b, 58);
    bufU32(b, row);
    bufAscii(b, ": ");
  }
  return b;
}

/**
 * print(x, y, ...): `file:row: ` then the arguments separated by spaces; a
 * string argument prints bare, other values (and strings inside them) in Rego
 * syntax with ", " / ": " separators; an undefined argument (a 0 element of
 * `args`) prints as <undefined>. No prefix when file_len is 0.
 */
export function capgate_print(filePtr: usize, fileLen: u32, row: u32, args: usize): void {
  let b = printLine(filePtr, fileLen, row);
  let n = arrLen(args);
  for (let i: u32 = 0; i < n; i++) {
    if (i > 0) bufByte(b, 32);
    let v = arrAt(args, i);
    if (v != 0 && load<u8>(v) == T_STRING) bufBytes(b, strPtr(v), strLen(v));
    else dumpMode(b, v, MODE_PRINT);
  }
  opa_println(bufFinish(b));
}

/**
 * OPA plans print(a, b) as internal.print([A, B]) where each operand is the set
 * of values the argument took (empty when it was undefined): print each set's
 * members separated by spaces, <undefined> for an empty set.
 */
export function capgate_print_sets(filePtr: usize, fileLen: u32, row: u32, args: usize): void {
  let b = printLine(filePtr, fileLen, row);
  let n = arrLen(args);
  let first = true;
  for (let i: u32 = 0; i < n; i++) {
    let s = arrAt(args, i);
    if (s == 0 || load<u8>(s) != T_SET || tabLen(s) == 0) {
      if (!first) bufByte(b, 32);
      first = false;
      if (s != 0 && load<u8>(s) != T_SET) printOne(b, s);
      else bufAscii(b, "<undefined>");
      continue;
    }
    tabSort(s);
    let m = tabLen(s);
    for (let j: u32 = 0; j < m; j++) {
      if (!first) bufByte(b, 32);
      first = false;
      printOne(b, entryKey(entryAt(s, j)));
    }
  }
  opa_println(bufFinish(b));
}

function printOne(b: usize, v: usize): void {
  if (v != 0 && load<u8>(v) == T_STRING) bufBytes(b, strPtr(v), strLen(v));
  else dumpMode(b, v, MODE_PRINT);
}

/** print() of one value without location: strings bare, everything else in Rego syntax. */
export function capgate_println_value(v: usize): void {
  let b = bufNew(64);
  if (v != 0 && load<u8>(v) == T_STRING) bufBytes(b, strPtr(v), strLen(v));
  else dumpMode(b, v, MODE_PRINT);
  opa_println(bufFinish(b));
}

