// Pass: no rule may depend on itself, directly or through other rules
// (rego_recursion_error "rule data.x.p is recursive: data.x.p -> data.x.q ->
// data.x.p"), as OPA's checkRecursion does. A ref depends on the rule set it
// lands in or passes through and on every rule set below the node it names.

import type * as ast from "../ast/types.js";
import { walkBody, walkTerm } from "../ast/walk.js";
import { dataPathString, treeKeys } from "./build-rule-tree.js";
import { type RuleSet, type RuleTreeNode, ruleSetKey } from "../ast/compiled-policy.js";
import { type PassContext, report } from "./context.js";

function dependencies(ctx: PassContext, set: RuleSet): Set<string> {
  const out = new Set<string>();
  const addRef = (terms: ast.Term[]): void => {
    const head = terms[0];
    if (!head || head.value.kind !== "var" || head.value.name !== "data") return;
    const keys = treeKeys(terms).slice(1);
    const below = (n: RuleTreeNode): void => {
      if (n.ruleSet) out.add(ruleSetKey(n.ruleSet.path));
      n.children.forEach(below);
    };
    // Walk the tree as the ref would: a string key takes its child, any other
    // key (a var, a call's result) may be any child, so `data[x].allow.p`
    // reaches only rule sets under some `*.allow.p`, as OPA's graph has it.
    const walk = (n: RuleTreeNode, i: number): void => {
      if (n.ruleSet || i >= keys.length) return below(n);
      const k = keys[i]!.value;
      if (k.kind === "string") {
        const child = n.children.get(k.value);
        if (child) walk(child, i + 1);
      } else {
        n.children.forEach((c) => walk(c, i + 1));
      }
    };
    walk(ctx.ruleTree, 0);
  };
  const visit = (t: ast.Term): void => {
    if (t.value.kind === "ref") addRef(t.value.terms);
  };
  const visitBody = (b: ast.Body): void => {
    walkBody(b, visit);
    for (const e of b) {
      if (e.kind === "call" && e.operator.value.kind === "ref") addRef(e.operator.value.terms);
    }
    walkBody(b, (t) => {
      const v = t.value;
      if (v.kind === "arraycomp" || v.kind === "setcomp" || v.kind === "objectcomp") nestedCalls(v.body);
    });
  };
  const nestedCalls = (b: ast.Body): void => {
    for (const e of b) {
      if (e.kind === "call" && e.operator.value.kind === "ref") addRef(e.operator.value.terms);
      if (e.kind === "every") nestedCalls(e.body);
    }
  };
  for (const entry of [...set.rules, ...(set.default ? [set.default] : []), ...(set.keyedDefaults ?? [])]) {
    for (let r: ast.Rule | undefined = entry.rule; r; r = r.else) {
      visitBody(r.body);
      nestedCalls(r.body);
      for (const t of [r.head.key, r.head.value, ...r.head.ref.slice(1)]) if (t) walkTerm(t, visit);
    }
  }
  return out;
}

export function checkRecursion(ctx: PassContext): void {
  const graph = new Map<string, Set<string>>();
  for (const [key, set] of ctx.ruleSets) graph.set(key, dependencies(ctx, set));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const reported = new Set<string>();
  const dfs = (key: string): void => {
    state.set(key, "visiting");
    stack.push(key);
    for (const dep of graph.get(key) ?? []) {
      const st = state.get(dep);
      if (st === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        if (!reported.has(dep)) {
          reported.add(dep);
          const set = ctx.ruleSets.get(dep)!;
          const first = set.rules[0] ?? set.default;
          const names = cycle.map((k) => dataPathString(ctx.ruleSets.get(k)!.path));
          report(ctx, "rego_recursion_error", `rule ${names[0]} is recursive: ${names.join(" -> ")}`, first!.rule.location);
        }
      } else if (st === undefined) {
        dfs(dep);
      }
    }
    stack.pop();
    state.set(key, "done");
  };
  for (const key of graph.keys()) if (!state.has(key)) dfs(key);
}
