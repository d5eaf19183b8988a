// Which Rego built-ins run inside the runtime, and under which export: the emitter's
// view of runtime/builtins-table.ts. A built-in not listed here is a host built-in,
// called through the SDK's opa_builtinN imports.

export interface RuntimeBuiltin {
  /** The runtime export implementing it (value args → value, 0 when undefined). */
  export: string;
  arity: number;
}

let cached: ReadonlyMap<string, RuntimeBuiltin> | undefined;

export function defaultRuntimeBuiltins(): ReadonlyMap<string, RuntimeBuiltin> {
  cached ??= new Map();
  return cached;
}
