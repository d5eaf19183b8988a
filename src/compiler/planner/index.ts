// plan(): the planner stage. Takes the compiler's CompiledPolicy and the
// entrypoints (slash paths under data) and named queries to plan, and returns
// the IR policy the Wasm emitter compiles (see ../ir/types.ts for semantics).

import { CapgateError } from "../../errors.js";
import type * as ir from "../ir/types.js";
import type { CompiledPolicy } from "../ast/compiled-policy.js";
import { Planner } from "./planner.js";

export function plan(compiled: CompiledPolicy, opts: { entrypoints: string[]; queries?: string[] }): ir.Policy {
  const names = (x: unknown): x is string[] => Array.isArray(x) && x.every((e) => typeof e === "string");
  if (!compiled || !(compiled.ruleSets instanceof Map) || !compiled.ruleTree) {
    throw new CapgateError("rego_plan_error", "plan() needs the CompiledPolicy that compile() returns");
  }
  if (!names(opts?.entrypoints) || (opts.queries !== undefined && !names(opts.queries))) {
    throw new CapgateError("rego_plan_error", "plan() needs entrypoints (and queries) as lists of strings");
  }
  if (opts.entrypoints.length === 0 && (opts.queries ?? []).length === 0) {
    throw new CapgateError("rego_plan_error", "nothing to plan: give at least one entrypoint or query");
  }
  return new Planner(compiled).planPolicy(opts.entrypoints, opts.queries ?? []);
}
