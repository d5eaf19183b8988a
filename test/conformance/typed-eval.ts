// Evaluates a module the way the SDK's ABI 1.2 fast path does, but asks opa_eval
// for Rego syntax (format 1) instead of JSON, so the result set keeps what JSON
// loses: sets, and object keys that are not strings. The module is still loaded
// by the SDK, whose host built-ins serve the evaluation.
import { readCString, withEvaluationState, type EvaluateOptions, type PolicyInstance } from "../../src/policy/runtime/index.js";
import { fromRegoText, RSet, sortedItems, type V } from "../support/values.js";

/** The SDK's own fields that its evaluate() uses (LoadedPolicy in @open-policy-agent/opa-wasm). */
interface SdkPolicy {
  wasmInstance: { exports: Record<string, unknown> };
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  dataAddr: number;
  dataHeapPtr: number;
  entrypoints: Record<string, number>;
}

const FORMAT_REGO = 1;
const PAGE = 64 * 1024;

/** The result set of one evaluation (an array of solutions), in the Rego value model. */
export function evaluateTyped(inst: PolicyInstance, input: unknown, entrypoint: string, opts: EvaluateOptions = {}): V[] {
  return withEvaluationState(inst, entrypoint, opts, () => {
    const p = inst.policy as unknown as SdkPolicy;
    const evalFn = p.wasmInstance.exports["opa_eval"] as (...a: number[]) => number;
    const bytes = input === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(input));
    const inputAddr = bytes.length === 0 ? 0 : p.dataHeapPtr;
    const short = p.dataHeapPtr + bytes.length - p.mem.buffer.byteLength;
    if (short > 0) p.mem.grow(Math.ceil(short / PAGE));
    new Uint8Array(p.mem.buffer).set(bytes, p.dataHeapPtr);
    const out = evalFn(0, p.entrypoints[entrypoint]!, p.dataAddr, inputAddr, bytes.length, p.dataHeapPtr + bytes.length, FORMAT_REGO);
    // The result set is a set of solutions in Rego syntax; the JSON form lists them in the same (sorted) order.
    const set = fromRegoText(readCString(p.mem, out));
    if (!(set instanceof RSet)) throw new Error(`opa_eval answered ${readCString(p.mem, out)}, not a result set`);
    return sortedItems(set);
  });
}

type Exports = Record<string, (...a: number[]) => number>;

/** Copies text into the module's heap and parses it there as a Rego value (JSON is one), or fails. */
function parseIntoModule(p: SdkPolicy, text: string, what: string): number {
  const ex = p.wasmInstance.exports as Exports;
  const bytes = new TextEncoder().encode(text);
  const addr = ex["opa_malloc"]!(bytes.length);
  new Uint8Array(p.mem.buffer).set(bytes, addr);
  const v = ex["opa_value_parse"]!(addr, bytes.length);
  if (v === 0) throw new Error(`the module could not parse the ${what}: ${text.slice(0, 80)}`);
  return v;
}

/**
 * Sets the base document from JSON text, parsed by the module itself, so that
 * numbers stay exact (the SDK's setData goes through JSON.stringify of doubles).
 */
export function setDataText(inst: PolicyInstance, dataText: string): void {
  const p = inst.policy as unknown as SdkPolicy;
  const ex = p.wasmInstance.exports as Exports;
  ex["opa_heap_ptr_set"]!(p.dataHeapPtr);
  p.dataAddr = parseIntoModule(p, dataText, "data");
  p.dataHeapPtr = ex["opa_heap_ptr_get"]!();
}

/**
 * One evaluation through the context ABI (opa_eval_ctx_*, eval): the input is
 * Rego text parsed by the module (so it may hold sets, as OPA's input_term
 * does) and the result set comes back as the module's JSON text.
 */
export function evaluateJsonText(inst: PolicyInstance, inputText: string | undefined, entrypoint: string, opts: EvaluateOptions = {}): string {
  return withEvaluationState(inst, entrypoint, opts, () => {
    const p = inst.policy as unknown as SdkPolicy;
    const ex = p.wasmInstance.exports as Exports;
    ex["opa_heap_ptr_set"]!(p.dataHeapPtr);
    const input = inputText === undefined ? 0 : parseIntoModule(p, inputText, "input");
    const ctx = ex["opa_eval_ctx_new"]!();
    if (input !== 0) ex["opa_eval_ctx_set_input"]!(ctx, input);
    ex["opa_eval_ctx_set_data"]!(ctx, p.dataAddr);
    ex["opa_eval_ctx_set_entrypoint"]!(ctx, p.entrypoints[entrypoint]!);
    ex["eval"]!(ctx);
    return readCString(p.mem, ex["opa_json_dump"]!(ex["opa_eval_ctx_get_result"]!(ctx)));
  });
}
