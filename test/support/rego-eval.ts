// TEST SUPPORT: runs Rego text through the real stages parser → compile → plan
// and then the reference IR interpreter (not the Wasm path). A ground data ref
// query (`data.a.b`) is planned as the entrypoint `a/b`; any other query as a
// named query whose result is its variable bindings; a single comparison with
// no variables yields the comparison's value, as the conformance cases expect.

import type * as ast from "../../src/compiler/ast/types.js";
import type * as ir from "../../src/compiler/ir/types.js";
import { parse, parseQuery } from "../../src/compiler/parser/index.js";
import { compile } from "../../src/compiler/passes/index.js";
import type { RuleTreeNode } from "../../src/compiler/ast/compiled-policy.js";
import { plan } from "../../src/compiler/planner/index.js";
import { IrInterpreter } from "./ir-interpreter.js";
import { RObject, type V } from "./values.js";

export interface Compiled {
  policy: ir.Policy;
  plan: string;
  /** How to turn a result-set element into the query's answer. */
  extract: (row: V) => V | undefined;
}

const COMPARISONS = new Set(["equal", "neq", "lt", "lte", "gt", "gte"]);

function groundDataPath(q: ast.Query): string[] | undefined {
  if (q.body.length !== 1) return undefined;
  const e = q.body[0]!;
  if (e.kind !== "term" || e.negated || e.with.length > 0) return undefined;
  const t = e.term.value;
  const terms = t.kind === "ref" ? t.terms : t.kind === "var" ? [e.term] : undefined;
  if (!terms || terms[0]?.value.kind !== "var" || terms[0].value.name !== "data") return undefined;
  const path: string[] = [];
  for (const x of terms.slice(1)) {
    if (x.value.kind !== "string") return undefined;
    path.push(x.value.value);
  }
  return path;
}

export function compileRego(modules: string[], query: string, regoVersion: 0 | 1): Compiled {
  const mods = modules.map((src, i) => parse(src, { file: `module${i}.rego`, regoVersion }));
  let q = parseQuery(query, { file: "query.rego", regoVersion, allFutureKeywords: true });
  const path = groundDataPath(q);
  if (path && definesPath(compile(mods).ruleTree, path)) {
    const compiled = compile(mods);
    const policy = plan(compiled, { entrypoints: [path.join("/")] });
    return { policy, plan: path.join("/"), extract: (row) => (row instanceof RObject ? row.get("result") : undefined) };
  }
  let single = false;
  const e = q.body[0];
  if (path && e) {
    // A ref only into base data: ask for its value as a query binding.
    const loc = e.location;
    const v: ast.Term = { value: { kind: "var", name: "__value__" }, location: loc };
    const op: ast.Term = { value: { kind: "ref", terms: [{ value: { kind: "var", name: "eq" }, location: loc }] }, location: loc };
    q = { ...q, body: [{ kind: "call", operator: op, args: [v, (e as ast.Expr & { kind: "term" }).term], location: loc, negated: false, with: [] }] };
    single = true;
  }
  if (!single && q.body.length === 1 && e && e.kind === "call" && !e.negated && COMPARISONS.has(refNameOf(e.operator))) {
    single = true;
    const loc = e.location;
    const call: ast.Term = { value: { kind: "call", operator: e.operator, args: e.args }, location: loc };
    const v: ast.Term = { value: { kind: "var", name: "__value__" }, location: loc };
    const op: ast.Term = { value: { kind: "ref", terms: [{ value: { kind: "var", name: "eq" }, location: loc }] }, location: loc };
    q = { ...q, body: [{ ...e, operator: op, args: [v, call] }] };
  }
  const compiled = compile(mods, { queries: [{ name: "q", query: q }] });
  const policy = plan(compiled, { entrypoints: [], queries: ["q"] });
  return {
    policy,
    plan: "q",
    extract: (row) => (single && row instanceof RObject ? row.get("__value__") : row),
  };
}

function definesPath(root: RuleTreeNode, path: string[]): boolean {
  let node = root;
  for (const key of path) {
    if (node.ruleSet) return true;
    const child = node.children.get(key);
    if (!child) return false;
    node = child;
  }
  return true;
}

function refNameOf(t: ast.Term): string {
  const v = t.value;
  if (v.kind === "var") return v.name;
  if (v.kind === "ref" && v.terms.length === 1 && v.terms[0]!.value.kind === "var") return v.terms[0]!.value.name;
  return "";
}

/** Evaluates a compiled query: the answers (one per result-set element, undefined ones dropped). */
export function evalCompiled(c: Compiled, input: unknown, data: unknown, print?: (l: string) => void): V[] {
  const rows = new IrInterpreter(c.policy).evaluate(c.plan, { input, data, ...(print ? { print } : {}) });
  return rows.map(c.extract).filter((x): x is V => x !== undefined);
}
