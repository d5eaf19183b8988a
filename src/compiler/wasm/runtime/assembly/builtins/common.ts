// Shared plumbing for in-Wasm built-ins: argument type checks and built-in
// errors. A failing built-in records the error and returns 0 (undefined); the
// emitter, seeing 0, calls capgate_builtin_check with the call's location, which
// aborts with `file:row:col: eval_type_error: name: message` when an error is
// pending. With capgate_builtin_strict = 0 errors are not recorded, so the call
// is simply undefined (OPA's non-strict built-in errors).
import { T_NULL, T_BOOLEAN, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET } from "../value";
import { bufNew, bufAscii, bufBytes, bufByte, bufU32, bufFinish } from "../buffer";
import { opa_abort } from "../error";
import { dumpInto } from "../dump";

/** 1: built-in errors abort evaluation (OPA's strict mode, the default); 0: they are undefined. */
export let capgate_builtin_strict: u32 = 1;

let pending = false;
let pendingCode: string = "";
let pendingName: string = "";
let pendingMsg: string = "";
let pendingOperand: u32 = 0;
let pendingGot: usize = 0;
// A string value whose bytes end the message (text the host answered), or 0.
let pendingText: usize = 0;

export function typeName(v: usize): string {
  if (v == 0) return "undefined";
  switch (load<u8>(v)) {
    case T_NULL: return "null";
    case T_BOOLEAN: return "boolean";
    case T_NUMBER: return "number";
    case T_STRING: return "string";
    case T_ARRAY: return "array";
    case T_OBJECT: return "object";
    case T_SET: return "set";
  }
  return "unknown";
}

/** Operand `operand` (1-based) of `name` has the wrong type. Returns 0 (undefined). */
export function typeErr(name: string, operand: u32, expected: string, got: usize): usize {
  if (capgate_builtin_strict == 0) return 0;
  pending = true;
  pendingCode = "eval_type_error";
  pendingName = name;
  pendingMsg = expected;
  pendingOperand = operand;
  pendingGot = got;
  pendingText = 0;
  return 0;
}

/** `name` failed with `msg` (division by zero, unparsable text...). Returns 0. */
export function builtinErr(name: string, msg: string): usize {
  if (capgate_builtin_strict == 0) return 0;
  pending = true;
  pendingCode = "eval_builtin_error";
  pendingName = name;
  pendingMsg = msg;
  pendingOperand = 0;
  pendingGot = 0;
  pendingText = 0;
  return 0;
}

/** `name` failed with the message held by string value `text` (no AssemblyScript string is built at run time). Returns 0. */
export function builtinErrText(name: string, text: usize): usize {
  if (capgate_builtin_strict == 0) return 0;
  builtinErr(name, "");
  pendingText = text;
  return 0;
}

export function capgate_builtin_error_pending(): u32 { return pending ? 1 : 0; }

export function capgate_builtin_check(filePtr: usize, fileLen: u32, row: u32, col: u32): void {
  if (!pending) return;
  pending = false;
  let b = bufNew(128);
  if (fileLen > 0) bufBytes(b, filePtr, fileLen);
  bufByte(b, 58); bufU32(b, row); bufByte(b, 58); bufU32(b, col);
  bufAscii(b, ": ");
  bufAscii(b, pendingCode);
  bufAscii(b, ": ");
  bufAscii(b, pendingName);
  bufAscii(b, ": ");
  if (pendingOperand > 0) {
    bufAscii(b, "operand ");
    bufU32(b, pendingOperand);
    bufAscii(b, " must be ");
    bufAscii(b, pendingMsg);
    bufAscii(b, " but got ");
    bufAscii(b, typeName(pendingGot));
    if (pendingGot != 0) {
      bufAscii(b, " `");
      let mark = load<u32>(b, 4);
      dumpInto(b, pendingGot, true);
      // Keep messages to one readable line even for large operands.
      if (load<u32>(b, 4) - mark > 120) { store<u32>(b, mark + 117, 4); bufAscii(b, "..."); }
      bufAscii(b, "`");
    }
  } else {
    bufAscii(b, pendingMsg);
    if (pendingText != 0) bufBytes(b, <usize>load<u32>(pendingText, 8), load<u32>(pendingText, 4));
  }
  opa_abort(bufFinish(b));
  unreachable();
}

// @ts-ignore: decorator
@inline export function isType(v: usize, t: u8): bool { return v != 0 && load<u8>(v) == t; }
