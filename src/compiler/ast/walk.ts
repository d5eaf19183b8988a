// A depth-first walk over the AST, visiting rules, expressions and terms in
// source order, for passes and tools that look for something (vars, refs, calls)
// without caring about the shape of every node. A visitor returning `false`
// stops the walk from descending into that node's children.

import type { Body, Expr, Module, Rule, Term } from "./types.js";

export interface Visitor {
  rule?(rule: Rule): void | false;
  expr?(expr: Expr): void | false;
  term?(term: Term): void | false;
}

export function walkModule(m: Module, v: Visitor): void {
  for (const t of m.package.path) walkTerm(t, v);
  for (const i of m.imports) walkTerm(i.path, v);
  for (const r of m.rules) walkRule(r, v);
}

/** A rule, its head (ref, args, key, value), body, and else chain. */
export function walkRule(r: Rule, v: Visitor): void {
  if (v.rule?.(r) === false) return;
  for (const t of r.head.ref) walkTerm(t, v);
  for (const t of r.head.args ?? []) walkTerm(t, v);
  if (r.head.key) walkTerm(r.head.key, v);
  if (r.head.value) walkTerm(r.head.value, v);
  walkBody(r.body, v);
  if (r.else) walkRule(r.else, v);
}

export function walkBody(b: Body, v: Visitor): void {
  for (const e of b) walkExpr(e, v);
}

export function walkExpr(e: Expr, v: Visitor): void {
  if (v.expr?.(e) === false) return;
  switch (e.kind) {
    case "term":
      walkTerm(e.term, v);
      break;
    case "call":
      walkTerm(e.operator, v);
      for (const a of e.args) walkTerm(a, v);
      break;
    case "some":
      for (const s of e.symbols) walkTerm(s, v);
      break;
    case "every":
      if (e.key) walkTerm(e.key, v);
      walkTerm(e.value, v);
      walkTerm(e.domain, v);
      walkBody(e.body, v);
      break;
  }
  for (const w of e.with) {
    walkTerm(w.target, v);
    walkTerm(w.value, v);
  }
}

export function walkTerm(t: Term, v: Visitor): void {
  if (v.term?.(t) === false) return;
  const x = t.value;
  switch (x.kind) {
    case "ref":
      for (const p of x.terms) walkTerm(p, v);
      break;
    case "array":
    case "set":
      for (const i of x.items) walkTerm(i, v);
      break;
    case "object":
      for (const [k, val] of x.entries) {
        walkTerm(k, v);
        walkTerm(val, v);
      }
      break;
    case "arraycomp":
    case "setcomp":
      walkTerm(x.term, v);
      walkBody(x.body, v);
      break;
    case "objectcomp":
      walkTerm(x.key, v);
      walkTerm(x.value, v);
      walkBody(x.body, v);
      break;
    case "call":
      walkTerm(x.operator, v);
      for (const a of x.args) walkTerm(a, v);
      break;
    default:
      break;
  }
}

/** The names of all vars under a node, in first-seen order (operators' names included, e.g. `plus`). */
export function varNames(walk: (v: Visitor) => void): string[] {
  const seen = new Set<string>();
  walk({
    term(t) {
      if (t.value.kind === "var") seen.add(t.value.name);
    },
  });
  return [...seen];
}
