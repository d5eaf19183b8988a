// compile(): runs the compiler passes over parsed modules (and extra named
// queries) and returns the CompiledPolicy the planner takes. The passes run from
// the ordered table below, as OPA's ast/compile.go does; compilation stops after
// the first pass that reports errors, and all errors of that pass are thrown
// together (CapgateErrors).

import { CapgateError, CapgateErrors } from "../../errors.js";
import type * as ast from "../ast/types.js";
import { buildRuleTree, checkRuleConflicts } from "./build-rule-tree.js";
import { checkRecursion } from "./check-recursion.js";
import { checkSafety } from "./check-safety.js";
import { checkTypes } from "./check-types.js";
import { checkUndefinedFuncs } from "./check-undefined-funcs.js";
import type { CompiledPolicy, NamedQuery } from "../ast/compiled-policy.js";
import { type PassContext, newContext } from "./context.js";
import { resolveRefs } from "./resolve-refs.js";
import { rewriteExprTerms } from "./rewrite-expr-terms.js";
import { rewriteLocalVars } from "./rewrite-local-vars.js";
import { rewritePrintCalls } from "./rewrite-print-calls.js";
import { rewriteRegoMetadata } from "./rewrite-rego-metadata.js";
import { checkKeywords } from "./check-keywords.js";

export type { CompiledPolicy, NamedQuery } from "../ast/compiled-policy.js";

export interface Pass {
  name: string;
  run: (ctx: PassContext) => void;
}

// Order matters:
// - refs are resolved before anything looks at names (the rule tree needs full head refs);
// - local vars are renamed before print calls and expression rewriting, which add generated vars;
// - expressions are flattened before the tree checks, so calls only appear at expression level;
// - the rule tree is built before the checks that look rules up (conflicts, functions, safety
//   needs function arities, recursion);
// - safety runs last among rewrites: it reorders the final bodies the planner reads;
// - types are checked after safety, whose order puts each variable's binding before its uses.
export const PASSES: readonly Pass[] = [
  { name: "CheckKeywords", run: checkKeywords },
  { name: "ResolveRefs", run: resolveRefs },
  { name: "RewriteLocalVars", run: rewriteLocalVars },
  { name: "RewritePrintCalls", run: rewritePrintCalls },
  // Before terms are flattened: rego.metadata.* calls become constants where they stand.
  { name: "RewriteRegoMetadataCalls", run: rewriteRegoMetadata },
  { name: "RewriteExprTerms", run: rewriteExprTerms },
  { name: "SetRuleTree", run: buildRuleTree },
  { name: "CheckRuleConflicts", run: checkRuleConflicts },
  { name: "CheckUndefinedFuncs", run: checkUndefinedFuncs },
  { name: "CheckSafety", run: checkSafety },
  { name: "CheckTypes", run: checkTypes },
  { name: "CheckRecursion", run: checkRecursion },
  // The rewrites above replace rules immutably; index the final rules for the planner.
  { name: "RebuildRuleTree", run: rebuildRuleTree },
];

function rebuildRuleTree(ctx: PassContext): void {
  ctx.ruleTree = { key: "data", path: [], children: new Map() };
  ctx.ruleSets = new Map();
  buildRuleTree(ctx);
}

export function compile(modules: ast.Module[], opts: { queries?: NamedQuery[] } = {}): CompiledPolicy {
  if (!Array.isArray(modules) || modules.some((m) => !m || typeof m.file !== "string" || !m.package || !Array.isArray(m.rules))) {
    throw new CapgateError("rego_compile_error", "compile() needs a list of parsed modules (parse() results)");
  }
  for (const q of opts.queries ?? []) {
    if (!q || typeof q.name !== "string" || q.name === "" || !q.query || !Array.isArray(q.query.body)) {
      throw new CapgateError("rego_compile_error", "each extra query needs a non-empty name and a parsed query (parseQuery() result)");
    }
  }
  // The passes rebuild rules immutably; copying the arrays keeps the caller's modules intact.
  const copies = modules.map((m) => ({ ...m, rules: [...m.rules] }));
  const queries = (opts.queries ?? []).map((q) => ({ name: q.name, body: q.query.body, vars: [] }));
  const ctx = newContext(copies, queries);
  for (const pass of PASSES) {
    pass.run(ctx);
    if (ctx.errors.length > 0) {
      const seen = new Set<string>();
      const unique = ctx.errors.filter((e) => {
        const k = e.format();
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      throw new CapgateErrors(unique);
    }
  }
  return {
    modules: ctx.modules,
    ruleTree: ctx.ruleTree,
    ruleSets: ctx.ruleSets,
    queries: ctx.queries,
    builtins: ctx.builtins,
  };
}
