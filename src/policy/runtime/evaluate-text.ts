// Evaluating an instantiated policy module: one entrypoint on an input (JSON
// text goes straight into the module's memory through ABI 1.2's opa_eval), with
// the host built-ins' per-evaluation state set (clock, deadline, UUIDs, print
// capture) and the module's failures turned into CapgateError (eval-errors.ts).
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { CapgateError, isCapgateError } from "../../errors.js";
import { parseJsonExact } from "../host-builtins/index.js";
import { abortToError, errorText, sdkText } from "./eval-errors.js";
import { memoryBytes, readCString, type PolicyInstance } from "./instantiate.js";

const encoder = new TextEncoder();

/** An input already serialised as JSON text (the sidecar builds its input so). */
export class JsonText {
  constructor(readonly text: string) {}
}

export interface EvaluateOptions {
  /** time.now_ns() for this evaluation; read from the system clock when first asked for if absent. */
  nowNs?: bigint;
  /**
   * performance.now() past which the evaluation is stopped with eval_deadline_error
   * (checked by modules capgate compiled, every 4096 allocations).
   */
  deadline?: number;
}

/**
 * Evaluates one entrypoint. `time.now_ns` and `uuid.rfc4122` start fresh for
 * each call, as OPA fixes them per query. `input` may be JsonText, which goes
 * to the module as it is. Result set as the SDK returns it.
 */
export function evaluatePolicy(inst: PolicyInstance, input: unknown, entrypoint: string, opts: EvaluateOptions = {}): Array<Record<string, unknown>> {
  if (input instanceof JsonText) return withEvaluationState(inst, entrypoint, opts, () => evaluateText(inst.policy, input.text, entrypoint));
  return withEvaluationState(inst, entrypoint, opts, () => inst.policy.evaluate(input, entrypoint) as Array<Record<string, unknown>>);
}

/** The plain fields of the SDK's LoadedPolicy that its own ABI 1.2 evaluation reads. */
interface Abi12Policy {
  minorVersion: number;
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  wasmInstance: { exports: Record<string, unknown> };
  dataAddr: number;
  dataHeapPtr: number;
  entrypoints: Record<string, number>;
}

const PAGE = 65536;

/**
 * One opa_eval call on JSON text, as the SDK's evaluate() makes it (ABI 1.2:
 * the input after the data, the heap after the input), but with the text
 * encoded straight into the module's memory and the answer found with a native
 * scan and one shared decoder: the SDK's copy, per-call TextEncoder and
 * TextDecoder and byte-at-a-time scan in JavaScript were a sixth of the
 * sidecar's evaluation time. A module without opa_eval goes through the SDK.
 */
function evaluateText(policy: LoadedPolicy, text: string, entrypoint: string): Array<Record<string, unknown>> {
  const raw = evaluateTextRaw(policy, text, entrypoint);
  return typeof raw === "string" ? (JSON.parse(raw) as Array<Record<string, unknown>>) : raw;
}

/** The module's answer as its JSON text, or the SDK's parsed answer when the direct call is not possible. */
function evaluateTextRaw(policy: LoadedPolicy, text: string, entrypoint: string): string | Array<Record<string, unknown>> {
  const p = policy as unknown as Abi12Policy;
  const opaEval = p.wasmInstance.exports["opa_eval"];
  const id = p.entrypoints[entrypoint];
  // Any field missing (an SDK that changed its inside) means the SDK's own path.
  if (!(p.minorVersion >= 2) || typeof opaEval !== "function" || id === undefined || typeof p.dataAddr !== "number" || typeof p.dataHeapPtr !== "number") {
    return policy.evaluate(encoder.encode(text).buffer, entrypoint) as Array<Record<string, unknown>>;
  }
  const at = p.dataHeapPtr;
  // UTF-8 takes at most three bytes per UTF-16 code unit.
  const room = at + text.length * 3 - p.mem.buffer.byteLength;
  if (room > 0) p.mem.grow(Math.ceil(room / PAGE));
  const written = memoryBytes(p.mem).write(text, at, text.length * 3, "utf8");
  const result = (opaEval as (...args: number[]) => number)(0, id, p.dataAddr, at, written, at + written, 0);
  return readCString(p.mem, result);
}

/**
 * As evaluatePolicy with JSON text input, but an integer the module printed
 * past 2^53 comes back as a bigint with every digit (`policy eval` prints it so).
 */
export function evaluatePolicyExact(inst: PolicyInstance, input: JsonText, entrypoint: string, opts: EvaluateOptions = {}): Array<Record<string, unknown>> {
  return withEvaluationState(inst, entrypoint, opts, () => {
    const raw = evaluateTextRaw(inst.policy, input.text, entrypoint);
    return typeof raw === "string" ? (parseJsonExact(raw) as Array<Record<string, unknown>>) : raw;
  });
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * Hands the module this evaluation's time.now_ns when it is known now, so the
 * in-Wasm built-in answers it without a host call; otherwise (read from the
 * system clock when first asked for, or beyond i64) the module asks the host.
 */
function writeClock(clock: PolicyInstance["clock"], nowNs: bigint | undefined): void {
  if (clock === undefined) return;
  if (nowNs === undefined || nowNs < I64_MIN || nowNs > I64_MAX) {
    clock.known.value = 0;
    return;
  }
  clock.ns.value = nowNs;
  clock.known.value = 1;
}

/**
 * Runs `evaluate`, one evaluation of `entrypoint`, with the host built-ins'
 * per-evaluation state set (clock, deadline, UUIDs, print capture) and the
 * module's failures turned into CapgateError. evaluatePolicy runs the SDK's
 * evaluation in it; the conformance harness runs one that reads Rego syntax.
 */
export function withEvaluationState<T>(inst: PolicyInstance, entrypoint: string, opts: EvaluateOptions, evaluate: () => T): T {
  if (!inst.entrypoints.includes(entrypoint)) {
    throw new CapgateError("invalid_input", `unknown entrypoint ${JSON.stringify(entrypoint)} (the policy has: ${inst.entrypoints.join(", ") || "none"})`);
  }
  const ctx = inst.context;
  ctx.nowNs = opts.nowNs;
  writeClock(inst.clock, opts.nowNs);
  ctx.deadline = opts.deadline;
  ctx.uuids = undefined;
  ctx.rand = undefined;
  const printed: string[] = [];
  ctx.prints = printed;
  inst.prints = printed;
  const log = console.log;
  // The SDK prints print() output with console.log; capture it per evaluation instead.
  console.log = (...args: unknown[]) => {
    printed.push(args.map((a) => sdkText(String(a))).join(" "));
  };
  try {
    return evaluate();
  } catch (e) {
    if (isCapgateError(e)) throw e;
    if (typeof e === "string") throw abortToError(sdkText(e));
    // A Wasm trap (unreachable, out-of-bounds access) surfaces as WebAssembly.RuntimeError.
    if (e instanceof Error && e.name === "RuntimeError") {
      throw new CapgateError("eval_internal_error", `the policy module trapped: ${e.message}`, { cause: e });
    }
    const text = errorText(e);
    throw new CapgateError(/built-?in/i.test(text) ? "eval_builtin_error" : "eval_internal_error", text, { cause: e });
  } finally {
    console.log = log;
  }
}
