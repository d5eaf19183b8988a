// The OPA Wasm ABI surface the SDK calls, generated around the planned code:
// eval(ctx) and opa_eval (ABI 1.2) dispatching on the entrypoint id, builtins() and
// entrypoints() as JSON parsed from static data, and the ABI version globals.
import type { RuntimeFunctionName } from "../../wasm-abi/index.js";
import { I32, NONE, type Expr, type ModuleBuilder, type RuntimeLink, type ValType } from "./link-api.js";
import { bumpEpoch } from "./memoize.js";
import type { StaticData } from "./static-data.js";

const i32 = I32;

export const ABI_VERSION = 1;
/** 1.2: opa_eval, the single-call evaluation the SDK uses when present. */
export const ABI_MINOR_VERSION = 2;

/** Runtime functions re-exported under their own names (the SDK calls them; capgate's host reads capgate_host_operand). */
export const RUNTIME_ABI_EXPORTS = [
  "opa_malloc",
  "opa_free",
  "opa_json_parse",
  "opa_json_dump",
  "opa_value_parse",
  "opa_value_dump",
  "opa_heap_ptr_get",
  "opa_heap_ptr_set",
  "opa_value_add_path",
  "opa_value_remove_path",
  "opa_eval_ctx_new",
  "opa_eval_ctx_set_input",
  "opa_eval_ctx_set_data",
  "opa_eval_ctx_set_entrypoint",
  "opa_eval_ctx_get_result",
  "capgate_host_operand",
] as const satisfies readonly RuntimeFunctionName[];

/** Exports the emitter itself generates. */
export const GENERATED_EXPORTS = [
  "eval",
  "opa_eval",
  "builtins",
  "entrypoints",
  "opa_wasm_abi_version",
  "opa_wasm_abi_minor_version",
  "memory",
] as const;

const DISPATCH = "capgate:dispatch";

/**
 * Adds the ABI functions. `plans` are the Wasm names of the plan functions
 * (input, data, result set) → none, in entrypoint id order.
 */
export function addAbiExports(
  m: ModuleBuilder,
  rt: RuntimeLink,
  data: StaticData,
  plans: readonly string[],
  builtinsJson: string,
  entrypointsJson: string,
): void {
  const call = (name: RuntimeFunctionName, args: Expr[], result: ValType = i32) =>
    m.call(rt.func(name), args, result);
  const get = (i: number) => m.local.get(i, i32);

  // dispatch(entrypoint, input, data) → result set
  const abort = rt.importFunc("env", "opa_abort", [i32], NONE);
  const illegal = data.text("internal: illegal entrypoint id", true);
  const rs = 3;
  const cases: Expr[] = plans.map((plan, id) =>
    m.if(
      m.i32.eq(get(0), m.i32.const(id)),
      m.block(null, [m.call(plan, [get(1), get(2), get(rs)], NONE), m.return(get(rs))]),
    ),
  );
  m.addFunction(
    DISPATCH,
    [i32, i32, i32],
    i32,
    [i32],
    m.block(
      null,
      [
        bumpEpoch(m),
        m.local.set(rs, call("capgate_set", [])),
        ...cases,
        m.call(abort, [m.i32.const(illegal.addr)], NONE),
        m.unreachable(),
      ],
      i32,
    ),
  );

  // eval(ctx) → 0; the result set goes into the context (ABI < 1.2)
  m.addFunction(
    "capgate:eval",
    [i32],
    i32,
    [],
    m.block(
      null,
      [
        call(
          "capgate_eval_ctx_set_result",
          [
            get(0),
            m.call(
              DISPATCH,
              [
                call("capgate_eval_ctx_get_entrypoint", [get(0)]),
                call("capgate_eval_ctx_get_input", [get(0)]),
                call("capgate_eval_ctx_get_data", [get(0)]),
              ],
              i32,
            ),
          ],
          NONE,
        ),
        m.i32.const(0),
      ],
      i32,
    ),
  );
  m.addFunctionExport("capgate:eval", "eval");

  // opa_eval(reserved, entrypoint, data, input, input_len, heap_ptr, format) → dump address
  m.addFunction(
    "capgate:opa_eval",
    [i32, i32, i32, i32, i32, i32, i32],
    i32,
    [i32],
    m.block(
      null,
      [
        m.local.set(
          7,
          m.call(DISPATCH, [get(1), call("capgate_eval_prepare", [get(5), get(3), get(4)]), get(2)], i32),
        ),
        m.if(get(6), call("opa_value_dump", [get(7)]), call("opa_json_dump", [get(7)])),
      ],
      i32,
    ),
  );
  m.addFunctionExport("capgate:opa_eval", "opa_eval");

  for (const [name, json] of [
    ["builtins", builtinsJson],
    ["entrypoints", entrypointsJson],
  ] as const) {
    const t = data.text(json);
    m.addFunction(`capgate:${name}`, [], i32, [], call("opa_json_parse", [m.i32.const(t.addr), m.i32.const(t.len)]));
    m.addFunctionExport(`capgate:${name}`, name);
  }

  m.addGlobal("capgate:abi_version", false, ABI_VERSION);
  m.addGlobalExport("capgate:abi_version", "opa_wasm_abi_version");
  m.addGlobal("capgate:abi_minor_version", false, ABI_MINOR_VERSION);
  m.addGlobalExport("capgate:abi_minor_version", "opa_wasm_abi_minor_version");

  // The runtime exports these already; fail here, naming the missing one, if it does not.
  for (const name of RUNTIME_ABI_EXPORTS) rt.func(name);
}
