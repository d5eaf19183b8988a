// Entry point of the capgate Wasm runtime: re-exports every function the
// emitter links against (the list and signatures are in src/wasm-abi/runtime-abi.ts).
export { capgate_heap_base, capgate_deadline_builtin, opa_malloc, opa_free, opa_heap_ptr_get, opa_heap_ptr_set } from "./memory";
export {
  capgate_null, capgate_boolean, capgate_number_int, capgate_number_float, capgate_string,
  capgate_array, capgate_object, capgate_set, capgate_value_type, capgate_is_true,
} from "./value";
export { capgate_number_ref } from "./numbers";
export { capgate_value_compare, capgate_value_equal, capgate_value_hash } from "./compare";
export {
  capgate_array_append, capgate_array_get, capgate_object_insert, capgate_object_insert_once,
  capgate_object_get, capgate_object_merge, capgate_set_add, capgate_set_contains, capgate_value_get,
  capgate_value_length, capgate_len, capgate_value_shallow_copy, capgate_value_upsert,
  opa_value_add_path, opa_value_remove_path, capgate_iter_count, capgate_iter_key, capgate_iter_value,
  capgate_value_iter,
} from "./collections";
export { opa_json_parse, opa_value_parse } from "./parse";
export { opa_json_dump, opa_value_dump, capgate_println_value, capgate_print, capgate_print_sets } from "./dump";
export { capgate_runtime_error, capgate_runtime_error_msg } from "./error";
export { capgate_host_operand, capgate_host_call0, capgate_host_call1, capgate_host_call2, capgate_host_call3, capgate_host_call4 } from "./host-call";
export {
  opa_eval_ctx_new, opa_eval_ctx_set_input, opa_eval_ctx_set_data, opa_eval_ctx_set_entrypoint,
  opa_eval_ctx_get_result, capgate_eval_ctx_get_input, capgate_eval_ctx_get_data,
  capgate_eval_ctx_get_entrypoint, capgate_eval_ctx_set_result, capgate_eval_prepare,
} from "./context";
export { capgate_builtin_strict, capgate_builtin_check, capgate_builtin_error_pending } from "./builtins/common";
// Built-ins, one family per file; names and arities are in src/wasm-abi/builtins-table.ts.
export * from "./builtins/comparison";
export * from "./builtins/arithmetic";
export * from "./builtins/aggregates";
export * from "./builtins/types";
export * from "./builtins/membership";
export * from "./builtins/sets";
export * from "./builtins/arrays";
export * from "./builtins/objects";
export * from "./builtins/strings";
export * from "./builtins/numbers";
export * from "./builtins/bits";
export * from "./builtins/encoding";
export * from "./builtins/units";
export * from "./builtins/time";
export * from "./builtins/clock";
export * from "./builtins/json";
export * from "./builtins/json-filter";
export * from "./builtins/glob";
export * from "./builtins/semver";
export * from "./builtins/graphs";
export * from "./builtins/casts";
export * from "./builtins/net";
export * from "./builtins/json-valid";
export * from "./builtins/print";
export * from "./builtins/urlquery";
export * from "./builtins/walk";
export * from "./builtins/providers";
