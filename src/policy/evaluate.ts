// Loading a Wasm module into @open-policy-agent/opa-wasm with capgate's host
// built-ins, and evaluating it with errors turned into CapgateError: the SDK
// throws the module's `opa_abort` message as a bare string, which callers
// cannot branch on.
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { CapgateError, isCapgateError, type ErrorCode, type SourceLocation } from "../errors.js";
import { hostBuiltins, loadHostBuiltins, parseJsonExact, toJsonText, type HostContext } from "./host-builtins/index.js";
import { preferCapgateBuiltins } from "./sdk-builtins.js";
import { DEADLINE_BUILTIN, DEADLINE_GLOBAL, STRICT_GLOBAL } from "../wasm-abi/index.js";

export interface PolicyInstance {
  policy: LoadedPolicy;
  /** Entrypoint names the module exports. */
  entrypoints: string[];
  /** Host built-ins the module imports. */
  builtins: string[];
  /** Per-evaluation state of the host built-ins (reset by evaluatePolicy). */
  context: HostContext;
  /** Lines print() produced during the last evaluation. */
  prints: string[];
}

const encoder = new TextEncoder();

/**
 * The host built-ins for one module. `strict` reads the module's strict
 * built-in errors setting: off (OPA's default), a failing host built-in makes
 * its call undefined, as an in-Wasm one does; a deadline still ends the run.
 */
function customBuiltins(ctx: HostContext, strict: () => boolean): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const b of hostBuiltins.values()) {
    out[b.name] = (...args: unknown[]) => {
      if (args.length !== b.arity) {
        throw new CapgateError("eval_builtin_error", `${b.name}: expects ${b.arity} operands, got ${args.length}`);
      }
      let r: unknown;
      try {
        r = b.impl(args, ctx);
      } catch (e) {
        if (strict() || (isCapgateError(e) && e.code === "eval_deadline_error")) throw e;
        return undefined;
      }
      // Raw JSON text keeps 64-bit integers exact (the SDK would JSON.stringify a double).
      return r === undefined ? undefined : encoder.encode(toJsonText(r)).buffer;
    };
  }
  return out;
}

const decoder = new TextDecoder();

export function readCString(mem: { buffer: ArrayBufferLike }, addr: number): string {
  const buf = new Uint8Array(mem.buffer);
  return decoder.decode(buf.subarray(addr, buf.indexOf(0, addr)));
}

/** The host built-ins a loaded module imports (name → id), read from its `builtins()` export. */
function builtinTable(policy: LoadedPolicy): Record<string, number> {
  const ex = (policy.wasmInstance as unknown as { exports: Record<string, unknown> }).exports;
  const builtins = ex["builtins"] as () => number;
  const dump = ex["opa_json_dump"] as (a: number) => number;
  return JSON.parse(readCString(policy.mem, dump(builtins()))) as Record<string, number>;
}

/** Turns on the allocator's deadline check in a module capgate compiled (src/wasm-abi). */
function enableDeadlineChecks(policy: LoadedPolicy, table: Record<string, number>): void {
  const global = (policy.wasmInstance as unknown as { exports: Record<string, unknown> }).exports[DEADLINE_GLOBAL];
  const id = table[DEADLINE_BUILTIN];
  if (id !== undefined && typeof global === "object" && global !== null && "value" in global) (global as { value: number }).value = id;
}

/** Instantiates a module; fails closed when it needs a built-in capgate does not provide. */
export async function instantiatePolicy(wasm: Uint8Array, data?: unknown): Promise<PolicyInstance> {
  preferCapgateBuiltins(hostBuiltins.keys());
  const context: HostContext = { nowNs: undefined, uuids: undefined, rand: undefined, deadline: undefined, prints: undefined };
  let policy: LoadedPolicy | undefined;
  // Modules without the export (built before it existed) keep the strict behaviour they had.
  const strict = (): boolean => {
    const g = policy === undefined ? undefined : strictGlobal(policy);
    return g === undefined || g.value !== 0;
  };
  try {
    policy = await loadPolicy(wasm, undefined, customBuiltins(context, strict));
  } catch (e) {
    throw new CapgateError("bundle_error", `cannot load the policy module: ${errorText(e)}`, { cause: e });
  }
  const table = builtinTable(policy);
  const builtins = Object.keys(table);
  enableDeadlineChecks(policy, table);
  const missing = builtins.filter((b) => !hostBuiltins.has(b));
  if (missing.length > 0) {
    throw new CapgateError("bundle_error", `the policy needs built-in ${missing.join(", ")}, which capgate does not provide`);
  }
  // Families loaded on demand (graphql, JSON Schema) are imported now, before anything evaluates the module.
  try {
    await loadHostBuiltins(builtins);
  } catch (e) {
    throw new CapgateError("bundle_error", `cannot load the built-ins the policy needs: ${errorText(e)}`, { cause: e });
  }
  if (data !== undefined) setPolicyData(policy, data);
  return { policy, entrypoints: Object.keys(policy.entrypoints as Record<string, number>), builtins, context, prints: [] };
}

/** The module's exported strict-errors global (a WebAssembly.Global), when it has one. */
function strictGlobal(policy: LoadedPolicy): { value: number } | undefined {
  const g = (policy.wasmInstance as unknown as { exports: Record<string, unknown> }).exports[STRICT_GLOBAL];
  return g !== null && typeof g === "object" && "value" in g ? (g as { value: number }) : undefined;
}

/** Turns OPA's strict built-in errors on or off for a loaded module (a bundle's manifest may ask for it). */
export function setStrictBuiltinErrors(inst: PolicyInstance, on: boolean): void {
  const g = strictGlobal(inst.policy);
  if (g === undefined) {
    if (!on) throw new CapgateError("bundle_error", "the policy module cannot turn strict built-in errors off (it was built before the setting was exported)");
    return;
  }
  g.value = on ? 1 : 0;
}

export function setPolicyData(policy: LoadedPolicy, data: unknown): void {
  try {
    policy.setData(data as object);
  } catch (e) {
    throw new CapgateError("bundle_error", `cannot load data into the policy: ${errorText(e)}`, { cause: e });
  }
}

function errorText(e: unknown): string {
  if (typeof e === "string") return e.split("\n")[0]!;
  if (e instanceof Error) return e.message.split("\n")[0]!;
  if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") return ((e as { message: string }).message).split("\n")[0]!;
  return String(e);
}

/**
 * The SDK turns the module's C strings (print lines, abort messages) into text
 * one signed byte at a time (String.fromCharCode over an Int8Array), so each
 * byte of a multi-byte UTF-8 character arrives as U+FF80..U+FFFF. This takes
 * the bytes back and decodes them as UTF-8.
 */
export function sdkText(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) < 0x80) i++;
  if (i === s.length) return s;
  const bytes = new Uint8Array(s.length);
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    bytes[j] = c >= 0xff80 ? c - 0xff00 : c & 0xff;
  }
  return new TextDecoder().decode(bytes);
}

/** Maps an abort message from the module (`file:row:col: message` or a bare message) to a CapgateError. */
export function abortToError(message: string): CapgateError {
  const m = /^(.+?):(\d+):(\d+):\s*(.*)$/s.exec(message);
  let text = (m ? m[4]! : message).split("\n")[0]!;
  const location: SourceLocation | undefined = m ? { file: m[1]!, row: Number(m[2]), col: Number(m[3]) } : undefined;
  // The runtime may name the code itself ("eval_conflict_error: ..."); trust it over guessing.
  const named = /^(eval_[a-z_]+_error):\s*(.*)$/.exec(text);
  let code: ErrorCode = "eval_internal_error";
  if (named && EVAL_CODES.has(named[1] as ErrorCode)) {
    code = named[1] as ErrorCode;
    text = named[2]!;
  } else if (/conflict|multiple outputs|must not produce multiple|more than one value/i.test(text)) code = "eval_conflict_error";
  else if (/built-?in|not implemented/i.test(text)) code = "eval_builtin_error";
  else if (/type|must be|expected/i.test(text)) code = "eval_type_error";
  return new CapgateError(code, text, location ? { location } : {});
}

const EVAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["eval_conflict_error", "eval_builtin_error", "eval_type_error", "eval_internal_error", "eval_deadline_error"]);

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
  const { written } = encoder.encodeInto(text, new Uint8Array(p.mem.buffer, at, text.length * 3));
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
