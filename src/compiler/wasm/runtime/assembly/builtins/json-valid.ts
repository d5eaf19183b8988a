// JSON text validation with the runtime's own parser, and the debugging trace().
//   json.is_valid 1 | trace 1
import { T_STRING, strLen, strPtr, capgate_boolean } from "../value";
import { opa_json_parse } from "../parse";
import { opa_heap_ptr_get, opa_heap_ptr_set } from "../memory";
import { typeErr, isType } from "./common";

export function capgate_bi_json_is_valid(v: usize): usize {
  if (!isType(v, T_STRING)) return capgate_boolean(0);
  // The parsed value is not needed: give its memory back.
  let mark = opa_heap_ptr_get();
  let ok = opa_json_parse(strPtr(v), strLen(v)) != 0;
  opa_heap_ptr_set(mark);
  return capgate_boolean(ok ? 1 : 0);
}

/** trace(note): always true; notes are for OPA's explain output, which Wasm has none of. */
export function capgate_bi_trace(v: usize): usize {
  if (!isType(v, T_STRING)) return typeErr("trace", 1, "string", v);
  return capgate_boolean(1);
}
