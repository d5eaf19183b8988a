// The state the compiler passes share while they run, and helpers to visit
// every rule (with its else chain) and every query body.

import { CapgateError, type ErrorCode } from "../../errors.js";
import type * as ast from "../ast/types.js";
import type { CompiledQuery, RuleSet, RuleTreeNode } from "../ast/compiled-policy.js";

export interface PassContext {
  modules: ast.Module[];
  queries: CompiledQuery[];
  errors: CapgateError[];
  /** Generated var name -> what the user wrote, for messages. */
  originalNames: Map<string, string>;
  ruleTree: RuleTreeNode;
  ruleSets: Map<string, RuleSet>;
  builtins: Set<string>;
  counter: { n: number };
}

export function newContext(modules: ast.Module[], queries: CompiledQuery[]): PassContext {
  return {
    modules,
    queries,
    errors: [],
    originalNames: new Map(),
    ruleTree: { key: "data", path: [], children: new Map() },
    ruleSets: new Map(),
    builtins: new Set(),
    counter: { n: 0 },
  };
}

/** A fresh var name; `$` never appears in parsed names, so it cannot clash. */
export function freshVar(ctx: PassContext, hint = "term"): string {
  return `$${hint}${ctx.counter.n++}`;
}

export function report(ctx: PassContext, code: ErrorCode, message: string, location: ast.Location): void {
  ctx.errors.push(new CapgateError(code, message, { location }));
}

export function displayName(ctx: PassContext, name: string): string {
  return ctx.originalNames.get(name) ?? name;
}

/** Each rule and each rule of its else chain, with a setter to replace it. */
export function forEachRule(ctx: PassContext, f: (rule: ast.Rule, module: ast.Module) => ast.Rule | void): void {
  for (const m of ctx.modules) {
    m.rules = m.rules.map((r) => visitChain(r, (x) => f(x, m)));
  }
}

function visitChain(r: ast.Rule, f: (rule: ast.Rule) => ast.Rule | void): ast.Rule {
  const out = f(r) ?? r;
  if (out.else) return { ...out, else: visitChain(out.else, f) };
  return out;
}
