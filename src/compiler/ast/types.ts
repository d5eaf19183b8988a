// The Rego abstract syntax tree: what parse() produces and the compiler passes
// rewrite. It follows the shape of OPA's `ast` package so that OPA's documentation
// and compiler stages map onto it one to one. Every node carries a location.
//
// Operators are not special nodes: `a + b` is a call term whose operator is the
// ref `plus`, `x := 1` is the call `assign(x, 1)`, `x = y` is `eq(x, y)`, and
// `x in xs` is `internal.member_2(x, xs)`, exactly as in OPA.

import type { SourceLocation } from "../../errors.js";

export type Location = SourceLocation;

export type RegoVersion = 0 | 1;

// ---------------------------------------------------------------- terms

export interface Term {
  value: Value;
  location: Location;
}

export type Value =
  | NullValue
  | BooleanValue
  | NumberValue
  | StringValue
  | VarValue
  | RefValue
  | ArrayValue
  | ObjectValue
  | SetValue
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallValue;

export interface NullValue {
  kind: "null";
}

export interface BooleanValue {
  kind: "boolean";
  value: boolean;
}

/** A number keeps its source text so that large and precise values survive. */
export interface NumberValue {
  kind: "number";
  text: string;
}

export interface StringValue {
  kind: "string";
  value: string;
}

/** Variables, including the wildcard `_` (renamed by the passes to a unique `$n`). */
export interface VarValue {
  kind: "var";
  name: string;
}

/**
 * A reference: the head term is a var (`input`, `data`, a local) or, for
 * `f(x).y` / `[1,2][0]`, any other term; the rest are the path operands
 * (`a.b` stores the string "b", `a[x]` stores the term x).
 */
export interface RefValue {
  kind: "ref";
  terms: Term[];
}

export interface ArrayValue {
  kind: "array";
  items: Term[];
}

export interface ObjectValue {
  kind: "object";
  entries: Array<[Term, Term]>;
}

export interface SetValue {
  kind: "set";
  items: Term[];
}

export interface ArrayComprehension {
  kind: "arraycomp";
  term: Term;
  body: Body;
}

export interface SetComprehension {
  kind: "setcomp";
  term: Term;
  body: Body;
}

export interface ObjectComprehension {
  kind: "objectcomp";
  key: Term;
  value: Term;
  body: Body;
}

/** A call used as a term, e.g. `count(x)` in `y := count(x) + 1`. */
export interface CallValue {
  kind: "call";
  /** The function: a ref such as `count`, `plus`, `data.lib.f`, `time.now_ns`. */
  operator: Term;
  args: Term[];
}

// ---------------------------------------------------------------- expressions

export type Body = Expr[];

export type Expr = ExprCommon & ExprForm;

export interface ExprCommon {
  location: Location;
  negated: boolean;
  with: With[];
  /** Set on expressions the compiler introduced (OPA's `Generated`). */
  generated?: boolean;
  /** A call hoisted out of a term (`f(x)` nested in another): its last argument is the result, so the arity is exact. */
  hoisted?: boolean;
}

export type ExprForm =
  /** A bare term: true when the term is defined and not `false`. */
  | { kind: "term"; term: Term }
  /** A call: a built-in, an operator (`eq`, `assign`, `plus`, ...), or a user function. */
  | { kind: "call"; operator: Term; args: Term[] }
  /** `some x, y` or `some x in xs` / `some k, v in xs` (held as a member call term). */
  | { kind: "some"; symbols: Term[] }
  /** `every k, v in domain { body }`. */
  | { kind: "every"; key: Term | null; value: Term; domain: Term; body: Body };

export interface With {
  /** The ref being replaced: `input...`, `data...`, or a function/built-in name. */
  target: Term;
  value: Term;
  location: Location;
}

// ---------------------------------------------------------------- rules and modules

/** Which collection a rule's head contributes to. */
export type RuleKind =
  /** `p := v`, `p = v`, `p if ...`, `a.b[x] := v` (a ref head with variables is a partial object). */
  | "single"
  /** `p contains x`, v0 `p[x]` without a value: a partial set. */
  | "multi";

export interface Head {
  /** The rule's full ref inside its package, e.g. `allow` or `a.b[x]`. */
  ref: Term[];
  /** Function arguments, present only for functions. */
  args?: Term[];
  /** For multi-value rules: the element added (`contains x`). */
  key?: Term;
  /** The value (`:= v`, `= v`); absent means `true`. */
  value?: Term;
  /** True for `:=` (v1 style), false for `=` or no assignment. */
  assign: boolean;
  kind: RuleKind;
  location: Location;
}

export interface Rule {
  head: Head;
  body: Body;
  default: boolean;
  /** The next rule of an `else` chain. */
  else?: Rule;
  annotations?: Annotations;
  location: Location;
}

export interface Import {
  /** `data.x.y` or `input.x` or `future.keywords...` / `rego.v1`. */
  path: Term;
  alias?: string;
  location: Location;
}

export interface Package {
  /** The path after `data`: `package a.b` is `[data, "a", "b"]` as ref terms. */
  path: Term[];
  location: Location;
}

/** What a `# METADATA` block says; only the fields capgate acts on are typed. */
export interface Annotations {
  scope: "rule" | "document" | "package" | "subpackages";
  entrypoint: boolean;
  title?: string;
  description?: string;
  /** The whole YAML document, for tools. */
  raw: Record<string, unknown>;
  location: Location;
}

export interface Comment {
  text: string;
  location: Location;
}

export interface Module {
  file: string;
  regoVersion: RegoVersion;
  package: Package;
  imports: Import[];
  rules: Rule[];
  /** Package-level annotations (scope package / subpackages). */
  annotations: Annotations[];
  comments: Comment[];
}

/** A query, as given to `capgate policy eval -q`. */
export interface Query {
  body: Body;
  regoVersion: RegoVersion;
}
