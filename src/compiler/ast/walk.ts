// The one walk over the AST, for the parser's tests, the compiler passes and the
// planner: visiting terms depth-first in source order (walkTerm ... walkModule),
// and rebuilding them bottom-up (mapTerm, mapExpr, mapBody). A visitor returning
// `false` stops the walk from descending into that term's children.

import type { Body, Expr, Module, Rule, Term } from "./types.js";

/** Called for every term, before its children; `false` skips the children. */
export type TermVisitor = (t: Term) => boolean | void;

export interface WalkOptions {
  /**
   * Also visit the targets of `with` modifiers. Off by default: a target names
   * the document or function being replaced, which the expression does not read.
   */
  withTargets?: boolean;
}

export function walkTerm(t: Term, f: TermVisitor, opts: WalkOptions = {}): void {
  if (f(t) === false) return;
  const v = t.value;
  switch (v.kind) {
    case "ref":
      for (const x of v.terms) walkTerm(x, f, opts);
      break;
    case "array":
    case "set":
      for (const x of v.items) walkTerm(x, f, opts);
      break;
    case "object":
      for (const [k, x] of v.entries) {
        walkTerm(k, f, opts);
        walkTerm(x, f, opts);
      }
      break;
    case "call":
      walkTerm(v.operator, f, opts);
      for (const x of v.args) walkTerm(x, f, opts);
      break;
    case "arraycomp":
    case "setcomp":
      walkTerm(v.term, f, opts);
      walkBody(v.body, f, opts);
      break;
    case "objectcomp":
      walkTerm(v.key, f, opts);
      walkTerm(v.value, f, opts);
      walkBody(v.body, f, opts);
      break;
    default:
      break;
  }
}

/** The terms an expression reads itself, `with` values included (not an `every` body, nor `with` targets). */
export function exprTerms(e: Expr): Term[] {
  const ws = e.with.map((w) => w.value);
  switch (e.kind) {
    case "term":
      return [e.term, ...ws];
    case "call":
      return [e.operator, ...e.args, ...ws];
    case "some":
      return [...e.symbols, ...ws];
    case "every":
      return [...(e.key ? [e.key] : []), e.value, e.domain, ...ws];
  }
}

export function walkExpr(e: Expr, f: TermVisitor, opts: WalkOptions = {}): void {
  switch (e.kind) {
    case "term":
      walkTerm(e.term, f, opts);
      break;
    case "call":
      walkTerm(e.operator, f, opts);
      for (const a of e.args) walkTerm(a, f, opts);
      break;
    case "some":
      for (const s of e.symbols) walkTerm(s, f, opts);
      break;
    case "every":
      if (e.key) walkTerm(e.key, f, opts);
      walkTerm(e.value, f, opts);
      walkTerm(e.domain, f, opts);
      walkBody(e.body, f, opts);
      break;
  }
  for (const w of e.with) {
    if (opts.withTargets) walkTerm(w.target, f, opts);
    walkTerm(w.value, f, opts);
  }
}

export function walkBody(b: Body, f: TermVisitor, opts: WalkOptions = {}): void {
  for (const e of b) walkExpr(e, f, opts);
}

/** A rule, its head (ref, args, key, value), body, and else chain. */
export function walkRule(r: Rule, f: TermVisitor, opts: WalkOptions = {}): void {
  for (const t of r.head.ref) walkTerm(t, f, opts);
  for (const t of r.head.args ?? []) walkTerm(t, f, opts);
  if (r.head.key) walkTerm(r.head.key, f, opts);
  if (r.head.value) walkTerm(r.head.value, f, opts);
  walkBody(r.body, f, opts);
  if (r.else) walkRule(r.else, f, opts);
}

export function walkModule(m: Module, f: TermVisitor, opts: WalkOptions = {}): void {
  for (const t of m.package.path) walkTerm(t, f, opts);
  for (const i of m.imports) walkTerm(i.path, f, opts);
  for (const r of m.rules) walkRule(r, f, opts);
}

/** The names of all vars a walk meets, in first-seen order (operators' names included, e.g. `plus`). */
export function varNames(walk: (f: TermVisitor) => void): string[] {
  const seen = new Set<string>();
  walk((t) => {
    if (t.value.kind === "var") seen.add(t.value.name);
  });
  return [...seen];
}

/** Rebuilds a term bottom-up; `f` sees each term after its children were mapped; returning undefined keeps it. */
export function mapTerm(t: Term, f: (t: Term) => Term | undefined, intoBodies = true): Term {
  const v = t.value;
  let out: Term = t;
  const m = (x: Term): Term => mapTerm(x, f, intoBodies);
  switch (v.kind) {
    case "ref":
      out = { ...t, value: { kind: "ref", terms: v.terms.map(m) } };
      break;
    case "array":
      out = { ...t, value: { kind: "array", items: v.items.map(m) } };
      break;
    case "set":
      out = { ...t, value: { kind: "set", items: v.items.map(m) } };
      break;
    case "object":
      out = { ...t, value: { kind: "object", entries: v.entries.map(([k, x]) => [m(k), m(x)] as [Term, Term]) } };
      break;
    case "call":
      out = { ...t, value: { kind: "call", operator: v.operator, args: v.args.map(m) } };
      break;
    case "arraycomp":
    case "setcomp":
      if (intoBodies) out = { ...t, value: { kind: v.kind, term: m(v.term), body: mapBody(v.body, f) } };
      break;
    case "objectcomp":
      if (intoBodies) out = { ...t, value: { kind: "objectcomp", key: m(v.key), value: m(v.value), body: mapBody(v.body, f) } };
      break;
    default:
      break;
  }
  return f(out) ?? out;
}

/** Maps the terms an expression reads (`with` targets are kept as they are). */
export function mapExpr(e: Expr, f: (t: Term) => Term | undefined): Expr {
  const m = (x: Term): Term => mapTerm(x, f);
  const withs = e.with.map((w) => ({ ...w, value: m(w.value) }));
  switch (e.kind) {
    case "term":
      return { ...e, with: withs, term: m(e.term) };
    case "call":
      return { ...e, with: withs, args: e.args.map(m) };
    case "some":
      return { ...e, with: withs, symbols: e.symbols.map(m) };
    case "every":
      return {
        ...e,
        with: withs,
        key: e.key ? m(e.key) : null,
        value: m(e.value),
        domain: m(e.domain),
        body: mapBody(e.body, f),
      };
  }
}

export function mapBody(b: Body, f: (t: Term) => Term | undefined): Body {
  return b.map((e) => mapExpr(e, f));
}
