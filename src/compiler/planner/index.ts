// plan(): the planner stage. Takes the compiler's CompiledPolicy and the
// entrypoints (slash paths under data) and named queries to plan, and returns
// the IR policy the Wasm emitter compiles (see ../ir/types.ts for semantics).

import type * as ir from "../ir/types.js";
import type { CompiledPolicy } from "../passes/compiled-policy.js";
import { Planner } from "./planner.js";

export function plan(compiled: CompiledPolicy, opts: { entrypoints: string[]; queries?: string[] }): ir.Policy {
  return new Planner(compiled).planPolicy(opts.entrypoints, opts.queries ?? []);
}
