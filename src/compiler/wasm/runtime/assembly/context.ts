// The evaluation context of OPA's ABI < 1.2 (input, data, result, entrypoint)
// and the input preparation step of opa_eval (ABI 1.2). The emitter's eval and
// opa_eval exports are built on these.
import { calloc, opa_heap_ptr_set } from "./memory";
import { opa_json_parse } from "./parse";
import { fail } from "./error";

export function opa_eval_ctx_new(): usize { return calloc(16); }
export function opa_eval_ctx_set_input(ctx: usize, v: usize): void { store<u32>(ctx, <u32>v, 0); }
export function opa_eval_ctx_set_data(ctx: usize, v: usize): void { store<u32>(ctx, <u32>v, 4); }
export function opa_eval_ctx_set_entrypoint(ctx: usize, id: u32): void { store<u32>(ctx, id, 12); }
export function opa_eval_ctx_get_result(ctx: usize): usize { return <usize>load<u32>(ctx, 8); }
export function capgate_eval_ctx_get_input(ctx: usize): usize { return <usize>load<u32>(ctx, 0); }
export function capgate_eval_ctx_get_data(ctx: usize): usize { return <usize>load<u32>(ctx, 4); }
export function capgate_eval_ctx_get_entrypoint(ctx: usize): u32 { return load<u32>(ctx, 12); }
export function capgate_eval_ctx_set_result(ctx: usize, v: usize): void { store<u32>(ctx, <u32>v, 8); }

export function capgate_eval_prepare(heapPtr: usize, inputPtr: usize, inputLen: u32): usize {
  opa_heap_ptr_set(heapPtr);
  if (inputLen == 0) return 0;
  let v = opa_json_parse(inputPtr, inputLen);
  if (v == 0) fail("invalid input: malformed JSON");
  return v;
}
