// Instantiating a Wasm policy module: @open-policy-agent/opa-wasm's loadPolicy
// with capgate's host built-ins wired in, the module's deadline and strict
// built-in error globals set, and a module needing a built-in capgate does not
// provide refused (fail closed). Evaluating it is evaluate-text.ts's business.
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { CapgateError, isCapgateError } from "../../errors.js";
import { DEADLINE_BUILTIN, DEADLINE_GLOBAL, NOW_NS_GLOBAL, NOW_NS_KNOWN_GLOBAL, STRICT_GLOBAL } from "../../wasm-abi/index.js";
import { hostBuiltins, loadHostBuiltins, parseJsonExact, toJsonText, type HostContext } from "../host-builtins/index.js";
import { errorText } from "./eval-errors.js";
import { preferCapgateBuiltins } from "./sdk-builtins.js";

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
  /** The module's clock globals (src/wasm-abi NOW_NS_GLOBAL), when it has them: evaluatePolicy writes each evaluation's time.now_ns there. */
  clock: ClockGlobals | undefined;
}

/** The exported globals through which the in-Wasm time.now_ns reads this evaluation's reading. */
export interface ClockGlobals {
  ns: { value: bigint };
  known: { value: number };
}

const encoder = new TextEncoder();

/**
 * The host built-ins for one module. `strict` reads the module's strict
 * built-in errors setting: off (OPA's default), a failing host built-in makes
 * its call undefined, as an in-Wasm one does; a deadline still ends the run.
 */
function customBuiltins(ctx: HostContext, strict: () => boolean, exact: ExactOperands): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const b of hostBuiltins.values()) {
    out[b.name] = (...parsed: unknown[]) => {
      if (parsed.length !== b.arity) {
        throw new CapgateError("eval_builtin_error", `${b.name}: expects ${b.arity} operands, got ${parsed.length}`);
      }
      const args = parsed.some(roundedByParse) ? (exact(parsed.length) ?? parsed) : parsed;
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

/** The operands of the host call in progress read exactly from the module, or undefined when it cannot say. */
type ExactOperands = (arity: number) => unknown[] | undefined;

/**
 * Whether the SDK's JSON.parse may have rounded a number inside v: every
 * integer within 2^53 parses exactly, anything else (a longer integer, a
 * fraction) may not.
 */
function roundedByParse(v: unknown): boolean {
  if (typeof v === "number") return !Number.isSafeInteger(v);
  if (v === null || typeof v !== "object") return false;
  return Array.isArray(v) ? v.some(roundedByParse) : Object.values(v).some(roundedByParse);
}

/**
 * The SDK gives host built-ins its JSON.parse of each operand; the module
 * records the operands of the call in progress (capgate_host_operand, src/wasm-abi),
 * so their JSON text is read again here with integers beyond 2^53 kept as bigints.
 * Modules built before the export existed answer undefined (the SDK's values stand).
 */
function exactOperands(policy: () => LoadedPolicy | undefined): ExactOperands {
  return (arity) => {
    const p = policy();
    const ex = p === undefined ? undefined : (p.wasmInstance as unknown as { exports: Record<string, unknown> }).exports;
    const operand = ex?.["capgate_host_operand"];
    const dump = ex?.["opa_json_dump"];
    if (p === undefined || typeof operand !== "function" || typeof dump !== "function") return undefined;
    const out: unknown[] = [];
    for (let i = 0; i < arity; i++) out.push(parseJsonExact(readCString(p.mem, (dump as (a: number) => number)((operand as (i: number) => number)(i)))));
    return out;
  };
}

let viewed: ArrayBufferLike | undefined;
let view: Buffer<ArrayBufferLike> = Buffer.alloc(0);

/**
 * A Buffer over a module memory's bytes, made again only when the memory's
 * buffer is another (it grew, or another module's is asked for): writing the
 * input and reading the answer through it makes no typed array per evaluation.
 */
export function memoryBytes(mem: { buffer: ArrayBufferLike }): Buffer<ArrayBufferLike> {
  const b = mem.buffer;
  if (b !== viewed) {
    viewed = b;
    view = Buffer.from(b);
  }
  return view;
}

/** The NUL-terminated UTF-8 text at `addr` (ill-formed bytes read as U+FFFD). */
export function readCString(mem: { buffer: ArrayBufferLike }, addr: number): string {
  const buf = memoryBytes(mem);
  const end = buf.indexOf(0, addr);
  return buf.toString("utf8", addr, end < 0 ? buf.length : end);
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
    policy = await loadPolicy(wasm, undefined, customBuiltins(context, strict, exactOperands(() => policy)));
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
  return { policy, entrypoints: Object.keys(policy.entrypoints as Record<string, number>), builtins, context, prints: [], clock: clockGlobals(policy) };
}

/** The module's clock globals; undefined for a module without them (built before they existed, or elsewhere). */
function clockGlobals(policy: LoadedPolicy): ClockGlobals | undefined {
  const ex = (policy.wasmInstance as unknown as { exports: Record<string, unknown> }).exports;
  const ns = ex[NOW_NS_GLOBAL];
  const known = ex[NOW_NS_KNOWN_GLOBAL];
  const isGlobal = (g: unknown): boolean => typeof g === "object" && g !== null && "value" in g;
  if (!isGlobal(ns) || !isGlobal(known)) return undefined;
  return { ns: ns as ClockGlobals["ns"], known: known as ClockGlobals["known"] };
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
