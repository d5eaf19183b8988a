// Small helpers the passes share: building, copying, walking and mapping AST
// terms and bodies. Kept apart so each pass file reads as the rule it enforces.

import type * as ast from "../ast/types.js";

export function term(value: ast.Value, location: ast.Location): ast.Term {
  return { value, location };
}

export function varTerm(name: string, location: ast.Location): ast.Term {
  return { value: { kind: "var", name }, location };
}

export function strTerm(value: string, location: ast.Location): ast.Term {
  return { value: { kind: "string", value }, location };
}

export function isVar(t: ast.Term, name?: string): boolean {
  return t.value.kind === "var" && (name === undefined || t.value.name === name);
}

export function varName(t: ast.Term): string | undefined {
  return t.value.kind === "var" ? t.value.name : undefined;
}

/** Names of generated vars start with `$`, which the parser never produces. */
export function isGenerated(name: string): boolean {
  return name.startsWith("$");
}

/** The operator's dotted name (`count`, `data.a.f`, `io.jwt.decode`), or undefined for a non-ground ref. */
export function refName(t: ast.Term): string | undefined {
  if (t.value.kind === "var") return t.value.name;
  if (t.value.kind !== "ref") return undefined;
  const parts: string[] = [];
  for (const [i, p] of t.value.terms.entries()) {
    if (i === 0 && p.value.kind === "var") parts.push(p.value.name);
    else if (i > 0 && p.value.kind === "string") parts.push(p.value.value);
    else return undefined;
  }
  return parts.join(".");
}

/** Rebuilds a term bottom-up; `f` sees each term after its children were mapped; returning undefined keeps it. */
export function mapTerm(t: ast.Term, f: (t: ast.Term) => ast.Term | undefined, intoBodies = true): ast.Term {
  const v = t.value;
  let out: ast.Term = t;
  const m = (x: ast.Term): ast.Term => mapTerm(x, f, intoBodies);
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
      out = { ...t, value: { kind: "object", entries: v.entries.map(([k, x]) => [m(k), m(x)] as [ast.Term, ast.Term]) } };
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

export function mapExpr(e: ast.Expr, f: (t: ast.Term) => ast.Term | undefined): ast.Expr {
  const m = (x: ast.Term): ast.Term => mapTerm(x, f);
  const withs = e.with.map((w) => ({ ...w, target: w.target, value: m(w.value) }));
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

export function mapBody(b: ast.Body, f: (t: ast.Term) => ast.Term | undefined): ast.Body {
  return b.map((e) => mapExpr(e, f));
}

/** Visits every term (pre-order), descending into comprehension and every bodies. */
export function walkTerm(t: ast.Term, f: (t: ast.Term) => boolean | void): void {
  if (f(t) === false) return;
  const v = t.value;
  switch (v.kind) {
    case "ref":
      v.terms.forEach((x) => walkTerm(x, f));
      break;
    case "array":
    case "set":
      v.items.forEach((x) => walkTerm(x, f));
      break;
    case "object":
      v.entries.forEach(([k, x]) => {
        walkTerm(k, f);
        walkTerm(x, f);
      });
      break;
    case "call":
      walkTerm(v.operator, f);
      v.args.forEach((x) => walkTerm(x, f));
      break;
    case "arraycomp":
    case "setcomp":
      walkTerm(v.term, f);
      walkBody(v.body, f);
      break;
    case "objectcomp":
      walkTerm(v.key, f);
      walkTerm(v.value, f);
      walkBody(v.body, f);
      break;
    default:
      break;
  }
}

export function exprTerms(e: ast.Expr): ast.Term[] {
  const ws = e.with.flatMap((w) => [w.value]);
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

export function walkExpr(e: ast.Expr, f: (t: ast.Term) => boolean | void): void {
  for (const t of exprTerms(e)) walkTerm(t, f);
  if (e.kind === "every") walkBody(e.body, f);
}

export function walkBody(b: ast.Body, f: (t: ast.Term) => boolean | void): void {
  for (const e of b) walkExpr(e, f);
}

/** All var names in a term, including those inside nested bodies. */
export function termVars(t: ast.Term, out = new Set<string>()): Set<string> {
  walkTerm(t, (x) => {
    if (x.value.kind === "var") out.add(x.value.name);
  });
  return out;
}

export function exprVars(e: ast.Expr, out = new Set<string>()): Set<string> {
  walkExpr(e, (x) => {
    if (x.value.kind === "var") out.add(x.value.name);
  });
  return out;
}

export function bodyVars(b: ast.Body, out = new Set<string>()): Set<string> {
  for (const e of b) exprVars(e, out);
  return out;
}

export function isScalar(t: ast.Term): boolean {
  const k = t.value.kind;
  return k === "null" || k === "boolean" || k === "number" || k === "string";
}

export function isGround(t: ast.Term): boolean {
  let ground = true;
  walkTerm(t, (x) => {
    if (x.value.kind === "var" || x.value.kind === "call") ground = false;
    return ground;
  });
  return ground;
}

export function callExpr(
  operator: string,
  args: ast.Term[],
  location: ast.Location,
  generated = true,
): ast.Expr {
  const opTerm: ast.Term = operatorTerm(operator, location);
  return { kind: "call", operator: opTerm, args, location, negated: false, with: [], generated };
}

/** `count` is the ref [count]; `io.jwt.decode` a ref with string parts, as the parser produces. */
export function operatorTerm(name: string, location: ast.Location): ast.Term {
  const parts = name.split(".");
  return term(
    { kind: "ref", terms: [varTerm(parts[0]!, location), ...parts.slice(1).map((p) => strTerm(p, location))] },
    location,
  );
}

/** Renders a term roughly as Rego, for error messages (comprehension bodies as `...`). */
export { termString } from "../ast/print.js";
