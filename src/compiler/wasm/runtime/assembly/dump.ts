// Serialisers: JSON (opa_json_dump: sets become arrays, non-string object keys
// become their JSON text) and Rego syntax (opa_value_dump: sets as `{..}` or
// `set()`). Objects and sets print in key order, as OPA does.
import { T_NULL, T_BOOLEAN, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, strLen, strPtr, arrLen, arrAt } from "./value";
import { bufNew, bufByte, bufBytes, bufAscii, bufFinish, bufLen } from "./buffer";
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

export function dumpInto(b: usize, v: usize, rego: bool): void {
  if (v == 0) { bufAscii(b, "null"); return; }
  switch (load<u8>(v)) {
    case T_NULL: bufAscii(b, "null"); return;
    case T_BOOLEAN: bufAscii(b, load<u8>(v, 4) != 0 ? "true" : "false"); return;
    case T_NUMBER: bufNumber(b, v); return;
    case T_STRING: bufString(b, strPtr(v), strLen(v)); return;
    case T_ARRAY: {
      bufByte(b, 91);
      let n = arrLen(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufByte(b, 44);
        dumpInto(b, arrAt(v, i), rego);
      }
      bufByte(b, 93);
      return;
    }
    case T_OBJECT: {
      tabSort(v);
      bufByte(b, 123);
      let n = tabLen(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufByte(b, 44);
        let e = entryAt(v, i);
        let k = entryKey(e);
        if (rego || load<u8>(k) == T_STRING) dumpInto(b, k, rego);
        else {
          // JSON keys must be strings: use the key's own JSON text.
          let inner = bufNew(32);
          dumpInto(inner, k, false);
          bufString(b, load<u32>(inner), bufLen(inner));
        }
        bufByte(b, 58);
        dumpInto(b, entryValue(e), rego);
      }
      bufByte(b, 125);
      return;
    }
    default: {
      tabSort(v);
      let n = tabLen(v);
      if (rego && n == 0) { bufAscii(b, "set()"); return; }
      bufByte(b, rego ? 123 : 91);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufByte(b, 44);
        dumpInto(b, entryKey(entryAt(v, i)), rego);
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

/** print(): strings print bare, everything else in Rego syntax. */
export function capgate_println_value(v: usize): void {
  let b = bufNew(64);
  if (v != 0 && load<u8>(v) == T_STRING) bufBytes(b, strPtr(v), strLen(v));
  else if (v == 0) bufAscii(b, "<undefined>");
  else dumpInto(b, v, true);
  opa_println(bufFinish(b));
}

