// Which Rego built-ins run inside the runtime, and under which export: the
// runtime's table (runtime/builtins-table.ts) seen through the fields the emitter
// uses. A built-in not listed is a host built-in, called through opa_builtinN.
import { RUNTIME_BUILTINS } from "./runtime/builtins-table.js";

export interface RuntimeBuiltin {
  /** The runtime export implementing it (value args → value, 0 when undefined). */
  export: string;
  arity: number;
  /** A host built-in the export calls itself, which the module must then list (abi.ts RUNTIME_HOST_CALLS). */
  host?: string;
}

export function defaultRuntimeBuiltins(): ReadonlyMap<string, RuntimeBuiltin> {
  return RUNTIME_BUILTINS;
}
