// The Wasm stage: emit(policy) links the planned IR into the AssemblyScript runtime
// and returns one module for OPA's Wasm ABI 1.x, loadable by the unmodified
// `loadPolicy` of @open-policy-agent/opa-wasm. It links with the direct linker
// (link-direct.ts, no binaryen); binaryenLinker() gives the binaryen one, which
// optimises, for a caller that wants it.
import { CapgateError } from "../../errors.js";
import type * as ir from "../ir/types.js";
import { GENERATED_EXPORTS, RUNTIME_ABI_EXPORTS, addAbiExports } from "./abi-exports.js";
import { COVERAGE_GLOBAL, BodyEmitter, PRINT, assignConflictKind, type Callee, type ModuleContext } from "./emit-stmt.js";
import { I32, NONE, runtimeBytes, type Linker, type RuntimeLink } from "./link-api.js";
import { DirectRuntime } from "./link-direct.js";
import {
  DEADLINE_BUILTIN,
  DEADLINE_GLOBAL,
  NOW_NS_GLOBAL,
  NOW_NS_KNOWN_GLOBAL,
  RUNTIME_BUILTINS,
  RUNTIME_HOST_CALLS,
  STRICT_GLOBAL,
  type RuntimeBuiltin,
} from "../../wasm-abi/index.js";
import { addEpoch, addMemoWrapper } from "./memoize.js";
import { StaticData } from "./static-data.js";

export type { Linker } from "./link-api.js";

const i32 = I32;

export interface EmitOptions {
  /** The runtime module to link into (default: runtime/build/runtime.wasm). */
  runtime?: Uint8Array;
  /** Rego built-in name → runtime export (default: the runtime's builtins table). */
  runtimeBuiltins?: ReadonlyMap<string, RuntimeBuiltin>;
  /**
   * OPA's strict built-in errors (default true, the runtime's default): a failing
   * in-Wasm built-in aborts the evaluation with its error; false makes the call
   * undefined instead.
   */
  strictBuiltinErrors?: boolean;
  /** Cache rule results within an evaluation, as OPA does (default true). */
  memoize?: boolean;
  /**
   * Line coverage (for `policy test --coverage`): the module marks a byte per
   * source line when a statement of that line runs, at the address its
   * `capgate_coverage` global holds; the emitter lists the lines, slot by slot, here.
   */
  coverage?: Array<{ file: string; row: number }>;
  /** How the module is written (default: the direct linker; binaryenLinker() for binaryen's). */
  linker?: Linker;
  /** Run binaryen's optimiser over the linked module (default false; needs the binaryen linker). */
  optimize?: boolean;
  /**
   * Validate the linked module before emitting it: the direct linker asks
   * WebAssembly.validate, the binaryen one its own validator (default false: an
   * invalid module fails loudly at WebAssembly.compile anyway; the tests turn it on).
   */
  validate?: boolean;
}

/** The binaryen linker (loads binaryen, about 10 MB of JavaScript and Wasm): for optimising and the differential tests. */
export async function binaryenLinker(): Promise<Linker> {
  const { LinkedRuntime } = await import("./link-runtime.js");
  return (runtime) => new LinkedRuntime(runtime);
}

const directLinker: Linker = (runtime) => new DirectRuntime(runtime);

/** Compiles an IR policy to a Wasm module for OPA's Wasm ABI 1.x. */
export function emit(policy: ir.Policy, opts: EmitOptions = {}): Uint8Array {
  const rt = (opts.linker ?? directLinker)(opts.runtime ?? runtimeBytes());
  try {
    return link(policy, rt, opts);
  } catch (e) {
    if (e instanceof CapgateError) throw e;
    // binaryen reports misuse as thrown non-Error objects; name the stage at least
    throw new CapgateError("wasm_emit_error", `linking failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    rt.dispose();
  }
}

function link(policy: ir.Policy, rt: RuntimeLink, opts: EmitOptions): Uint8Array {
  const m = rt.module;
  const data = new StaticData(rt.staticBase());
  const runtimeBuiltins = opts.runtimeBuiltins ?? RUNTIME_BUILTINS;

  const funcs = new Map<string, { wasmName: string; arity: number }>();
  for (const f of policy.funcs) {
    if (funcs.has(f.name)) throw new CapgateError("wasm_emit_error", `function ${f.name} is planned twice`);
    funcs.set(f.name, { wasmName: `capgate:func:${f.name}`, arity: f.params.length });
  }

  // Host built-ins keep the planner's order (their ids), then any the planner did not list.
  const host = new Map<string, { id: number; arity: number | null }>();
  policy.static.builtinFuncs.forEach((b) => {
    if (!funcs.has(b.name) && !runtimeBuiltins.has(b.name) && b.name !== PRINT && !host.has(b.name)) host.set(b.name, { id: host.size, arity: b.arity });
  });

  // A runtime built-in that calls a host built-in itself needs it in builtins(),
  // and its id in the runtime global it reads.
  const listHostCall = (name: string): void => {
    const call = RUNTIME_HOST_CALLS[name];
    if (!call) throw new CapgateError("wasm_emit_error", `runtime built-in calls unknown host built-in ${name}`);
    if (host.has(name)) return;
    host.set(name, { id: host.size, arity: call.arity });
    rt.setGlobalInit(call.global, host.size - 1);
  };

  addEpoch(m);
  let labels = 0;
  const ctx: ModuleContext = {
    m,
    rt,
    data,
    policy,
    resolveCall(name): Callee {
      const f = funcs.get(name);
      // a call passes every parameter, input and data included
      if (f) return { kind: "func", name: f.wasmName, arity: f.arity };
      if (name === PRINT) return { kind: "print", arity: 1 };
      const b = runtimeBuiltins.get(name);
      if (b) {
        if (b.host !== undefined) listHostCall(b.host);
        return { kind: "runtime", name: rt.func(b.export), arity: b.arity };
      }
      let h = host.get(name);
      if (!h) {
        h = { id: host.size, arity: null };
        host.set(name, h);
      }
      return { kind: "host", id: h.id, arity: h.arity };
    },
    pathFuncs: policy.funcs
      .filter((f) => f.path !== undefined)
      .map((f) => ({ wasmName: funcs.get(f.name)!.wasmName, path: f.path!, arity: f.params.length })),
    nextLabel: () => `L${labels++}`,
  };
  const coverage = opts.coverage;
  const slots = new Map<string, number>();
  if (coverage) {
    ctx.coverageSlot = (loc) => {
      const file = policy.static.files[loc.file] ?? "";
      // Statements the compiler made up have no line of their own.
      if (file === "" || loc.row <= 0) return undefined;
      const key = `${loc.file}:${loc.row}`;
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = coverage.length;
        slots.set(key, slot);
        coverage.push({ file, row: loc.row });
      }
      return slot;
    };
  }

  for (const f of policy.funcs) {
    const kind = f.params.length - (f.mockParams ?? 0) > 2 ? "func" : "rule";
    const body = new BodyEmitter(ctx, f.params, 0, assignConflictKind(kind));
    const ret = body.local(f.return);
    const blocks = body.blocks(f.blocks, null);
    const wasmName = funcs.get(f.name)!.wasmName;
    const memoize = f.params.length === 2 && opts.memoize !== false;
    m.addFunction(
      memoize ? `${wasmName}:body` : wasmName,
      f.params.map(() => i32),
      i32,
      body.vars(),
      m.block(null, [...blocks, m.local.get(ret, i32)], i32),
    );
    if (memoize) addMemoWrapper(m, wasmName, `${wasmName}:body`);
  }

  const planNames: string[] = [];
  const seenPlans = new Set<string>();
  policy.plans.forEach((p, id) => {
    if (seenPlans.has(p.name)) throw new CapgateError("wasm_emit_error", `entrypoint ${p.name} is planned twice`);
    seenPlans.add(p.name);
    const body = new BodyEmitter(ctx, [0, 1], 1, assignConflictKind("plan"));
    const blocks = body.blocks(p.blocks, body.extraParam(0));
    const name = `capgate:plan:${id}`;
    m.addFunction(name, [i32, i32, i32], NONE, body.vars(), m.block(null, blocks));
    planNames.push(name);
  });

  // Listed last so the planner's ids stay as they are. The allocator calls it only
  // once a host that provides it has set DEADLINE_GLOBAL to its id, so the plain
  // SDK, which does not know it, never does (src/wasm-abi/runtime-abi.ts).
  if (!host.has(DEADLINE_BUILTIN)) host.set(DEADLINE_BUILTIN, { id: host.size, arity: 0 });
  const builtinsJson = JSON.stringify(Object.fromEntries([...host].map(([name, h]) => [name, h.id])));
  const entrypointsJson = JSON.stringify(Object.fromEntries(policy.plans.map((p, id) => [p.name, id])));
  addAbiExports(m, rt, data, planNames, builtinsJson, entrypointsJson);

  if (coverage) {
    // The line bytes start zeroed in the static data; a host reads them after evaluating.
    const at = data.add(new Uint8Array(Math.max(1, coverage.length)), 8);
    m.addGlobal(COVERAGE_GLOBAL, false, at);
    m.addGlobalExport(COVERAGE_GLOBAL, COVERAGE_GLOBAL);
  }
  rt.placeStatic(data.base, data.bytes());
  if (opts.strictBuiltinErrors !== undefined) rt.setGlobalInit(STRICT_GLOBAL, opts.strictBuiltinErrors ? 1 : 0);
  // The strict-errors global is exported so a host can read it (host built-ins fail
  // the same way as in-Wasm ones) and a bundle's manifest can turn it on at load;
  // the clock's globals so a host can write each evaluation's time.now_ns.
  const kept = [DEADLINE_GLOBAL, STRICT_GLOBAL, NOW_NS_GLOBAL, NOW_NS_KNOWN_GLOBAL, ...(coverage ? [COVERAGE_GLOBAL] : [])];
  rt.pruneExports(new Set<string>([...RUNTIME_ABI_EXPORTS, ...GENERATED_EXPORTS, ...kept]));
  rt.exportMemory("memory");
  return rt.finish({ optimize: opts.optimize === true, validate: opts.validate === true });
}
