// Pass: reject built-in calls whose argument can never have a kind the
// built-in takes (`count(1)`, `lower(x)` after `x := 5`, `concat(",", "a")`),
// as OPA's type checker does (rego_type_error), so a policy with such a call
// fails to build instead of failing closed at every evaluation.
//
// Only what is certain is checked: the kinds of literals and comprehensions,
// and of local variables bound to them or to a built-in's result earlier in
// the same body (bodies are in safety order by now, so a binding comes before
// its uses). Everything read from input, data, rules or functions may be
// anything, and a call is never rejected because of it. What an array or a
// set holds is checked where a signature says (`concat(",", ["a", 2])`), from
// a literal's items or what a local was bound to; nothing deeper is tracked.
// Signatures are in builtin-types.ts.
//
// Unifications (`=`) whose sides can never be the same value are rejected too
// (OPA's "match error"): `1 = "a"`, `[x] = [1, 2]`, `x := 5; x = "a"`, and
// `some [x] in [[1, 2]]` (a pattern no item of a literal collection can match).
//
// Rules are typed by their values, as OPA's checkRule does: a complete rule
// whose every definition (else and default included) has a literal value has
// that literal's kind, so `r := 5` then `count(r)` is a rego_type_error. A rule
// with any other value (a var, a ref, a call) may be anything.

import type * as ast from "../ast/types.js";
import { isGroundLiteral, refName } from "../ast/builders.js";
import { walkTerm } from "../ast/walk.js";
import { OPERATOR_SYMBOLS } from "../ast/builtin-decls.js";
import { ANY, BUILTIN_TYPES, KIND, describeElements, describeTuples, describeType, type TypeMask } from "../ast/builtin-types.js";
import { type PassContext, displayName, forEachRule, report } from "./context.js";

/** What is known of the local variables of one body (and the bodies it encloses). */
class Env {
  constructor(
    /** Each variable's possible kinds. */
    readonly kinds = new Map<string, TypeMask>(),
    /** For a variable that is an array or a set, the kinds of what it holds. */
    readonly elements = new Map<string, TypeMask>(),
    /** The kinds of complete rules whose values are all literals, by `data.` name. */
    readonly rules: ReadonlyMap<string, TypeMask> = new Map(),
  ) {}

  /** A copy for an enclosed body: it reads the outer variables, and what it binds stays inside. */
  copy(): Env {
    return new Env(new Map(this.kinds), new Map(this.elements), this.rules);
  }
}

export function checkTypes(ctx: PassContext): void {
  const rules = ruleKinds(ctx);
  forEachRule(ctx, (r) => {
    const env = new Env(new Map(), new Map(), rules);
    checkBody(ctx, r.body, env);
    for (const t of [r.head.key, r.head.value]) if (t) checkTerm(ctx, t, env);
  });
  for (const q of ctx.queries) checkBody(ctx, q.body, new Env(new Map(), new Map(), rules));
}

/** Complete rules typed by their values: known only when every definition's value is a literal. */
function ruleKinds(ctx: PassContext): Map<string, TypeMask> {
  const out = new Map<string, TypeMask>();
  const none = new Env();
  for (const set of ctx.ruleSets.values()) {
    if (set.kind !== "complete") continue;
    let mask: TypeMask = 0;
    for (const entry of [...set.rules, ...(set.default ? [set.default] : [])]) {
      for (let r: ast.Rule | undefined = entry.rule; r; r = r.else) {
        const v = r.head.value;
        mask |= v === undefined ? KIND.boolean : isGroundLiteral(v) ? typeOf(v, none) : ANY;
      }
    }
    if (mask !== 0 && mask !== ANY) out.set(["data", ...set.path].join("."), mask);
  }
  return out;
}

function checkBody(ctx: PassContext, body: ast.Body, env: Env): void {
  for (const e of body) {
    switch (e.kind) {
      case "call":
        e.args.forEach((a) => checkTerm(ctx, a, env));
        checkCall(ctx, e.operator, e.args, env, { bind: !e.negated, replaced: replacedBuiltins(e) });
        break;
      case "term":
        checkTerm(ctx, e.term, env);
        break;
      case "every":
        checkTerm(ctx, e.domain, env);
        // The body runs once per element; what it binds stays inside.
        checkBody(ctx, e.body, env.copy());
        break;
      case "some":
        break;
    }
    for (const w of e.with) checkTerm(ctx, w.value, env);
  }
}

/** Checks calls and comprehension bodies nested in a term. */
function checkTerm(ctx: PassContext, t: ast.Term, env: Env): void {
  walkTerm(t, (x) => {
    const v = x.value;
    if (v.kind === "arraycomp" || v.kind === "setcomp") {
      const inner = env.copy();
      checkBody(ctx, v.body, inner);
      checkTerm(ctx, v.term, inner);
      return false;
    }
    if (v.kind === "objectcomp") {
      const inner = env.copy();
      checkBody(ctx, v.body, inner);
      checkTerm(ctx, v.key, inner);
      checkTerm(ctx, v.value, inner);
      return false;
    }
    if (v.kind === "call") {
      v.args.forEach((a) => checkTerm(ctx, a, env));
      checkCall(ctx, v.operator, v.args, env, { bind: false, replaced: new Set() });
      return false;
    }
    if (v.kind === "ref") checkRefHead(ctx, v, env, x.location);
    return true;
  });
}

const COLLECTION: TypeMask = KIND.array | KIND.set | KIND.object;

/** `x.a` or `x[0]` where x can only be a scalar selects nothing, ever; OPA calls it an undefined ref. */
function checkRefHead(ctx: PassContext, ref: ast.RefValue, env: Env, loc: ast.Location): void {
  const head = ref.terms[0];
  if (ref.terms.length < 2 || head?.value.kind !== "var") return;
  const have = env.kinds.get(head.value.name) ?? ANY;
  if ((have & COLLECTION) !== 0) return;
  const name = displayName(ctx, head.value.name);
  report(ctx, "rego_type_error", `undefined ref: ${name} is ${describeType(have)}, which has no members to select`, loc);
}

function checkCall(ctx: PassContext, operator: ast.Term, args: ast.Term[], env: Env, opts: { bind: boolean; replaced: ReadonlySet<string> }): void {
  const name = refName(operator);
  if (name === undefined) return;
  if (name === "eq") {
    if (args.length !== 2) return;
    // OPA's checkExprEq: sides that can never be the same value are a type error, negated or not.
    const clash = matchError(args[0]!, args[1]!, env);
    if (clash !== undefined) report(ctx, "rego_type_error", `match error: ${clash}`, args[0]!.location);
    // Unification: when it succeeds, both sides are the same value.
    else if (opts.bind) unify(args[0]!, args[1]!, env);
    return;
  }
  const sig = BUILTIN_TYPES.get(name);
  // A built-in replaced by `with` here may take anything its replacement takes.
  if (sig === undefined || opts.replaced.has(name)) return;
  const shown = OPERATOR_SYMBOLS[name] ? `${name} (${OPERATOR_SYMBOLS[name]})` : name;
  sig.args.forEach((want, i) => {
    const arg = args[i];
    if (arg === undefined) return;
    const have = typeOf(arg, env);
    const what = arg.value.kind === "var" ? ` (${displayName(ctx, arg.value.name)})` : "";
    if ((have & want.kinds) === 0) {
      report(ctx, "rego_type_error", `${shown}: operand ${i + 1} must be ${describeType(want.kinds)}, not ${describeType(have)}${what}`, arg.location);
    } else if (want.tuples !== undefined && arg.value.kind === "array" && !fitsTuple(arg.value.items, want.tuples, env)) {
      const items = arg.value.items.map((x) => kindWord(typeOf(x, env))).join(", ");
      report(ctx, "rego_type_error", `${shown}: operand ${i + 1} must be ${describeType(want.kinds & ~KIND.array)} or an array ${describeTuples(want.tuples)}, not [${items}]${what}`, arg.location);
    } else if (want.elements !== ANY) {
      const wrong = wrongElement(arg, want.elements, env);
      if (wrong !== undefined) report(ctx, "rego_type_error", `${shown}: operand ${i + 1} must hold only ${describeElements(want.elements)}; ${wrong}${what}`, arg.location);
    }
  });
  const out = args[sig.args.length];
  if (opts.bind && out !== undefined) {
    narrow(out, sig.result.kinds, env);
    holds(out, sig.result.elements, env);
  }
}

/** A literal array's items fit one of the fixed shapes a signature allows (OPA's static array types). */
function fitsTuple(items: ast.Term[], tuples: TypeMask[][], env: Env): boolean {
  return tuples.some((shape) => shape.length === items.length && shape.every((kinds, i) => (typeOf(items[i]!, env) & kinds) !== 0));
}

/** One kind's bare name for a shape ("number"), or "any" for what may be anything. */
function kindWord(mask: TypeMask): string {
  return mask === ANY ? "any" : (Object.keys(KIND) as (keyof typeof KIND)[]).filter((k) => (mask & KIND[k]) !== 0).join("|");
}

/** What makes a collection hold something it must not: a literal's first wrong item, or a variable's known contents; undefined when nothing is certain. */
function wrongElement(arg: ast.Term, want: TypeMask, env: Env): string | undefined {
  const v = arg.value;
  if (v.kind === "array" || v.kind === "set") {
    const i = v.items.findIndex((x) => (typeOf(x, env) & want) === 0);
    return i < 0 ? undefined : `item ${i + 1} is ${describeType(typeOf(v.items[i]!, env))}`;
  }
  const held = elementsOf(arg, env);
  return held !== ANY && held !== 0 && (held & want) === 0 ? `it holds ${describeElements(held)}` : undefined;
}

/** The kinds an array or a set term holds: its items' for a literal (0 when empty), what is known for a variable, else anything. */
function elementsOf(t: ast.Term, env: Env): TypeMask {
  const v = t.value;
  if (v.kind === "array" || v.kind === "set") return v.items.reduce((m, x) => m | typeOf(x, env), 0);
  if (v.kind === "var") return env.elements.get(v.name) ?? ANY;
  return ANY;
}

/** Records what a variable holds, once that is known. */
function holds(t: ast.Term, elements: TypeMask, env: Env): void {
  const name = localName(t);
  if (name === undefined || elements === ANY || env.elements.has(name)) return;
  env.elements.set(name, elements);
}

/** Why `a = b` can never hold (kinds that share nothing, literal arrays of other lengths), or undefined. */
function matchError(a: ast.Term, b: ast.Term, env: Env): string | undefined {
  const av = a.value;
  const bv = b.value;
  if (av.kind === "array" && bv.kind === "array") {
    if (av.items.length !== bv.items.length) return `an array of ${av.items.length} items cannot equal one of ${bv.items.length}`;
    for (let i = 0; i < av.items.length; i++) {
      const inner = matchError(av.items[i]!, bv.items[i]!, env);
      if (inner !== undefined) return inner;
    }
    return undefined;
  }
  for (const [x, members] of [
    [a, membersOf(b)],
    [b, membersOf(a)],
  ] as const) {
    if (members === undefined || members.length === 0) continue;
    // Any member may be the one selected: a clash only when x clashes with every one.
    const clashes = members.map((m) => matchError(x, m, env));
    return clashes.every((c) => c !== undefined) ? clashes[0] : undefined;
  }
  const ta = typeOf(a, env);
  const tb = typeOf(b, env);
  return (ta & tb) === 0 ? `${describeType(ta)} cannot equal ${describeType(tb)}` : undefined;
}

/**
 * The values `coll[k]` may select when coll is a literal collection and k a
 * variable (what `some v in [...]` becomes): its items, or an object's values.
 */
function membersOf(t: ast.Term): ast.Term[] | undefined {
  const v = t.value;
  if (v.kind !== "ref" || v.terms.length !== 2 || v.terms[1]!.value.kind !== "var") return undefined;
  const head = v.terms[0]!.value;
  if (head.kind === "array" || head.kind === "set") return head.items;
  if (head.kind === "object") return head.entries.map(([, value]) => value);
  return undefined;
}

/** After `a = b` succeeds, each side is known to be of a kind both could be. */
function unify(a: ast.Term, b: ast.Term, env: Env): void {
  const av = a.value;
  const bv = b.value;
  if (av.kind === "array" && bv.kind === "array" && av.items.length === bv.items.length) {
    av.items.forEach((x, i) => unify(x, bv.items[i]!, env));
    return;
  }
  const both = typeOf(a, env) & typeOf(b, env);
  narrow(a, both, env);
  narrow(b, both, env);
  holds(a, elementsOf(b, env), env);
  holds(b, elementsOf(a, env), env);
}

function narrow(t: ast.Term, mask: TypeMask, env: Env): void {
  const name = localName(t);
  if (name === undefined) return;
  const next = (env.kinds.get(name) ?? ANY) & mask;
  // An expression that can never succeed makes nothing after it run; keeping the
  // earlier kind avoids reporting the code after it as wrong as well.
  if (next !== 0) env.kinds.set(name, next);
}

/** The name of a local variable term; input and data are documents, never bound here. */
function localName(t: ast.Term): string | undefined {
  return t.value.kind === "var" && t.value.name !== "input" && t.value.name !== "data" ? t.value.name : undefined;
}

function typeOf(t: ast.Term, env: Env): TypeMask {
  const v = t.value;
  switch (v.kind) {
    case "null":
      return KIND.null;
    case "boolean":
      return KIND.boolean;
    case "number":
      return KIND.number;
    case "string":
      return KIND.string;
    case "array":
    case "arraycomp":
      return KIND.array;
    case "set":
    case "setcomp":
      return KIND.set;
    case "object":
    case "objectcomp":
      return KIND.object;
    case "var":
      return env.kinds.get(v.name) ?? ANY;
    case "call": {
      const name = refName(v.operator);
      return (name !== undefined && BUILTIN_TYPES.get(name)?.result.kinds) || ANY;
    }
    case "ref": {
      const name = refName(t);
      return (name !== undefined && env.rules.get(name)) || ANY;
    }
  }
}

function replacedBuiltins(e: ast.Expr): Set<string> {
  const out = new Set<string>();
  for (const w of e.with) {
    const name = refName(w.target);
    if (name !== undefined && BUILTIN_TYPES.has(name)) out.add(name);
  }
  return out;
}
