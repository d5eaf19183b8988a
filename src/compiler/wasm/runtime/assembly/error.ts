// Runtime errors: messages formatted as `file:row:col: message` and handed to the
// host through the imported opa_abort, which throws in the SDK and never returns.
import { bufNew, bufAscii, bufBytes, bufByte, bufU32, bufFinish } from "./buffer";

// @ts-ignore: decorator
@external("env", "opa_abort")
export declare function opa_abort(msg: usize): void;

// @ts-ignore: decorator
@external("env", "opa_println")
export declare function opa_println(msg: usize): void;

export const KIND_COMPLETE_RULE_CONFLICT: u32 = 1;
export const KIND_OBJECT_KEY_CONFLICT: u32 = 2;
export const KIND_FUNCTION_CONFLICT: u32 = 3;
export const KIND_VAR_ASSIGN_CONFLICT: u32 = 4;
export const KIND_INTERNAL: u32 = 5;

function kindMessage(kind: u32): string {
  switch (kind) {
    case 1: return "eval_conflict_error: complete rules must not produce multiple outputs";
    case 2: return "eval_conflict_error: object keys must be unique";
    case 3: return "eval_conflict_error: functions must not produce multiple outputs for same inputs";
    case 4: return "eval_conflict_error: var assignment conflict";
    default: return "eval_internal_error: internal error";
  }
}

function location(filePtr: usize, fileLen: u32, row: u32, col: u32): usize {
  let b = bufNew(128);
  if (fileLen > 0) bufBytes(b, filePtr, fileLen);
  bufByte(b, 58);
  bufU32(b, row);
  bufByte(b, 58);
  bufU32(b, col);
  bufAscii(b, ": ");
  return b;
}

export function capgate_runtime_error(filePtr: usize, fileLen: u32, row: u32, col: u32, kind: u32): void {
  let b = location(filePtr, fileLen, row, col);
  bufAscii(b, kindMessage(kind));
  opa_abort(bufFinish(b));
  unreachable();
}

export function capgate_runtime_error_msg(filePtr: usize, fileLen: u32, row: u32, col: u32, msgPtr: usize, msgLen: u32): void {
  let b = location(filePtr, fileLen, row, col);
  bufBytes(b, msgPtr, msgLen);
  opa_abort(bufFinish(b));
  unreachable();
}

/** Abort without a source location (malformed host input, internal faults). */
export function fail(msg: string): void {
  let b = bufNew(64);
  bufAscii(b, msg);
  opa_abort(bufFinish(b));
  unreachable();
}
