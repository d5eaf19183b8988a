// Small constructors for AST terms and expressions, and the questions asked of
// them (a ref's dotted name, groundness), so the parser, the compiler passes, the
// planner and tests build and read nodes the same way (for example: operators are
// refs to a var, bare `input` / `data` are one-element refs, as in OPA).

import type { Body, Expr, Head, Location, Term, Value } from "./types.js";
import { walkTerm } from "./walk.js";

export function term(value: Value, location: Location): Term {
  return { value, location };
}

export function nullTerm(location: Location): Term {
  return { value: { kind: "null" }, location };
}

export function booleanTerm(value: boolean, location: Location): Term {
  return { value: { kind: "boolean", value }, location };
}

export function numberTerm(text: string, location: Location): Term {
  return { value: { kind: "number", text }, location };
}

export function stringTerm(value: string, location: Location): Term {
  return { value: { kind: "string", value }, location };
}

export function varTerm(name: string, location: Location): Term {
  return { value: { kind: "var", name }, location };
}

export function refTerm(terms: Term[], location: Location): Term {
  return { value: { kind: "ref", terms }, location };
}

export function arrayTerm(items: Term[], location: Location): Term {
  return { value: { kind: "array", items }, location };
}

export function setTerm(items: Term[], location: Location): Term {
  return { value: { kind: "set", items }, location };
}

export function objectTerm(entries: Array<[Term, Term]>, location: Location): Term {
  return { value: { kind: "object", entries }, location };
}

export function callTerm(operator: Term, args: Term[], location: Location): Term {
  return { value: { kind: "call", operator, args }, location };
}

export function arrayComprehensionTerm(head: Term, body: Body, location: Location): Term {
  return { value: { kind: "arraycomp", term: head, body }, location };
}

export function setComprehensionTerm(head: Term, body: Body, location: Location): Term {
  return { value: { kind: "setcomp", term: head, body }, location };
}

export function objectComprehensionTerm(key: Term, value: Term, body: Body, location: Location): Term {
  return { value: { kind: "objectcomp", key, value, body }, location };
}

/** The ref naming a built-in or operator: `plus` → `[var plus]`, `internal.member_2` → `[var internal, "member_2"]`. */
export function builtinRef(name: string, location: Location): Term {
  const parts = name.split(".");
  const terms: Term[] = [varTerm(parts[0] as string, location)];
  for (let i = 1; i < parts.length; i++) terms.push(stringTerm(parts[i] as string, location));
  return refTerm(terms, location);
}

/** A call expression of a built-in or function by its dotted name; `generated` marks one the passes made. */
export function callExpr(operator: string, args: Term[], location: Location, generated = true): Expr {
  return { kind: "call", operator: builtinRef(operator, location), args, location, negated: false, with: [], generated };
}

/** The names OPA gives the infix operators, by token. */
export const OPERATOR_NAMES: Readonly<Record<string, string>> = {
  "=": "eq",
  ":=": "assign",
  "==": "equal",
  "!=": "neq",
  "<": "lt",
  "<=": "lte",
  ">": "gt",
  ">=": "gte",
  "+": "plus",
  "-": "minus",
  "*": "mul",
  "/": "div",
  "%": "rem",
  "&": "and",
  "|": "or",
};

export const MEMBER_2 = "internal.member_2";
export const MEMBER_3 = "internal.member_3";

/** `input` and `data`: a bare mention is a one-element ref. */
export const ROOT_DOCUMENTS: ReadonlySet<string> = new Set(["data", "input"]);

/** The dotted name of a ref made of a var and plain strings (`internal.member_2`), else undefined. */
export function refName(t: Term): string | undefined {
  if (t.value.kind === "var") return t.value.name;
  if (t.value.kind !== "ref") return undefined;
  const [head, ...rest] = t.value.terms;
  if (!head || head.value.kind !== "var") return undefined;
  let s = head.value.name;
  for (const p of rest) {
    if (p.value.kind !== "string") return undefined;
    s += "." + p.value.value;
  }
  return s;
}

/** True when no var or call occurs anywhere in the term (comprehension bodies included). */
export function isGround(t: Term): boolean {
  let ground = true;
  walkTerm(t, (x) => {
    if (x.value.kind === "var" || x.value.kind === "call") ground = false;
    return ground;
  });
  return ground;
}

/** True for a ground literal: scalars and collections of them (no vars, refs or comprehensions). */
export function isGroundLiteral(t: Term): boolean {
  const v = t.value;
  switch (v.kind) {
    case "null":
    case "boolean":
    case "number":
    case "string":
      return true;
    case "array":
    case "set":
      return v.items.every(isGroundLiteral);
    case "object":
      return v.entries.every(([k, x]) => isGroundLiteral(k) && isGroundLiteral(x));
    default:
      return false;
  }
}

/** A deep copy of a term (locations are shared: they are never mutated). */
export function cloneTerm(t: Term): Term {
  return { value: cloneValue(t.value), location: t.location };
}

function cloneValue(v: Value): Value {
  switch (v.kind) {
    case "ref":
      return { kind: "ref", terms: v.terms.map(cloneTerm) };
    case "array":
    case "set":
      return { kind: v.kind, items: v.items.map(cloneTerm) };
    case "object":
      return { kind: "object", entries: v.entries.map(([k, x]) => [cloneTerm(k), cloneTerm(x)] as [Term, Term]) };
    case "arraycomp":
    case "setcomp":
      return { kind: v.kind, term: cloneTerm(v.term), body: cloneBody(v.body) };
    case "objectcomp":
      return { kind: "objectcomp", key: cloneTerm(v.key), value: cloneTerm(v.value), body: cloneBody(v.body) };
    case "call":
      return { kind: "call", operator: cloneTerm(v.operator), args: v.args.map(cloneTerm) };
    default:
      return { ...v };
  }
}

export function cloneBody(b: Body): Body {
  return b.map(cloneExpr);
}

export function cloneExpr(e: Expr): Expr {
  const common = { location: e.location, negated: e.negated, with: e.with.map((w) => ({ target: cloneTerm(w.target), value: cloneTerm(w.value), location: w.location })), ...(e.generated !== undefined ? { generated: e.generated } : {}) };
  switch (e.kind) {
    case "term":
      return { ...common, kind: "term", term: cloneTerm(e.term) };
    case "call":
      return { ...common, kind: "call", operator: cloneTerm(e.operator), args: e.args.map(cloneTerm) };
    case "some":
      return { ...common, kind: "some", symbols: e.symbols.map(cloneTerm) };
    case "every":
      return { ...common, kind: "every", key: e.key ? cloneTerm(e.key) : null, value: cloneTerm(e.value), domain: cloneTerm(e.domain), body: cloneBody(e.body) };
  }
}

/** A deep copy of a rule head. */
export function cloneHead(h: Head): Head {
  const c: Head = { ref: h.ref.map(cloneTerm), assign: h.assign, kind: h.kind, location: h.location };
  if (h.args) c.args = h.args.map(cloneTerm);
  if (h.key) c.key = cloneTerm(h.key);
  if (h.value) c.value = cloneTerm(h.value);
  return c;
}
