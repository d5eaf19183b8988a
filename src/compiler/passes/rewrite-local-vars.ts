// Pass: give every declared variable a unique name, as OPA's rewriteLocalVars
// does. `x := v` declares x in the current scope (and becomes unification),
// `some x` declares x, `some k, v in xs` declares k and v and becomes
// `v = xs[k]`, `every` and comprehensions open nested scopes, and each wildcard
// `_` becomes its own fresh variable. Undeclared variables keep their names:
// they are unification variables shared with nested bodies, as in Rego.

import type * as ast from "../ast/types.js";
import { builtinRef, callExpr, refName, varTerm } from "../ast/builders.js";
import { termString } from "../ast/print.js";
import { exprTerms, walkTerm } from "../ast/walk.js";
import type { QueryVar } from "../ast/compiled-policy.js";
import { isStrict } from "./check-keywords.js";
import { type PassContext, freshVar, report } from "./context.js";

class Scope {
  readonly declared = new Map<string, string>();
  /** Undeclared names read so far in this scope (a later `:=` of them is an error). */
  readonly referenced = new Set<string>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): string | undefined {
    return this.declared.get(name) ?? this.parent?.lookup(name);
  }
}

const ROOTS = new Set(["input", "data"]);

export function rewriteLocalVars(ctx: PassContext): void {
  const rw = new Rewriter(ctx);
  for (const m of ctx.modules) {
    rw.strict = isStrict(m);
    m.rules = m.rules.map((r) => rw.rule(r));
  }
  rw.strict = true;
  for (const q of ctx.queries) {
    const scope = new Scope();
    q.body = rw.body(q.body, scope);
    const seen = new Set<string>();
    const vars: QueryVar[] = [];
    const add = (name: string, rewritten: string): void => {
      if (seen.has(name) || name.startsWith("$") || ROOTS.has(name)) return;
      seen.add(name);
      vars.push({ name, rewritten });
    };
    for (const [name, rewritten] of scope.declared) add(name, rewritten);
    for (const e of q.body) {
      for (const t of exprTerms(e)) {
        walkTerm(t, (x) => {
          if (x.value.kind === "var") add(x.value.name, x.value.name);
          return x.value.kind !== "arraycomp" && x.value.kind !== "setcomp" && x.value.kind !== "objectcomp";
        });
      }
    }
    q.vars = vars;
  }
}

class Rewriter {
  /** v1 / rego.v1: `input` and `data` cannot be declared as local variables (v0 allows it). */
  strict = true;
  constructor(private readonly ctx: PassContext) {}

  private declare(scope: Scope, name: string, loc: ast.Location, checkAbove: boolean): string {
    if (checkAbove) {
      if (scope.declared.has(name)) report(this.ctx, "rego_compile_error", `var ${name} assigned above`, loc);
      else if (scope.referenced.has(name)) report(this.ctx, "rego_compile_error", `var ${name} referenced above`, loc);
    }
    const fresh = freshVar(this.ctx, `${name}_`);
    this.ctx.originalNames.set(fresh, name);
    scope.declared.set(name, fresh);
    return fresh;
  }

  /** Declares every var of a pattern (`x`, `[a, b]`, `{"k": v}`) and returns it renamed. */
  private declarePattern(t: ast.Term, scope: Scope, checkAbove: boolean): ast.Term {
    // The parser may hold a lone name as a one-term ref; it declares that name.
    if (t.value.kind === "ref" && t.value.terms.length === 1 && t.value.terms[0]!.value.kind === "var") t = t.value.terms[0]!;
    const v = t.value;
    switch (v.kind) {
      case "var":
        if (v.name === "_") return this.wildcard(t);
        if (ROOTS.has(v.name) && this.strict) {
          report(this.ctx, "rego_compile_error", `variables must not shadow ${v.name} (use a different variable name)`, t.location);
          return t;
        }
        return varTerm(this.declare(scope, v.name, t.location, checkAbove), t.location);
      case "array":
        return { ...t, value: { kind: "array", items: v.items.map((x) => this.declarePattern(x, scope, checkAbove)) } };
      case "object":
        return {
          ...t,
          value: { kind: "object", entries: v.entries.map(([k, x]) => [this.term(k, scope), this.declarePattern(x, scope, checkAbove)] as [ast.Term, ast.Term]) },
        };
      case "ref":
        report(this.ctx, "rego_compile_error", `cannot assign to ref ${termString(t)}`, t.location);
        return t;
      default:
        if (v.kind === "null" || v.kind === "boolean" || v.kind === "number" || v.kind === "string") return t;
        report(this.ctx, "rego_compile_error", `cannot assign to ${termString(t)}`, t.location);
        return t;
    }
  }

  private wildcard(t: ast.Term): ast.Term {
    const name = freshVar(this.ctx, "_");
    this.ctx.originalNames.set(name, "_");
    return varTerm(name, t.location);
  }

  rule(r: ast.Rule): ast.Rule {
    const scope = new Scope();
    const args = r.head.args?.map((a) => this.declarePattern(a, scope, false));
    const body = this.body(r.body, scope);
    const head: ast.Head = {
      ...r.head,
      ref: r.head.ref.map((t, i) => (i === 0 ? t : this.term(t, scope))),
      ...(args ? { args } : {}),
      ...(r.head.key ? { key: this.term(r.head.key, scope) } : {}),
      ...(r.head.value ? { value: this.term(r.head.value, scope) } : {}),
    };
    const out: ast.Rule = { ...r, head, body };
    if (r.else) out.else = this.rule(r.else);
    return out;
  }

  body(b: ast.Body, scope: Scope): ast.Body {
    const out: ast.Body = [];
    for (const e of b) out.push(...this.expr(e, scope));
    return out;
  }

  private withs(e: ast.Expr, scope: Scope): ast.With[] {
    return e.with.map((w) => ({ ...w, value: this.term(w.value, scope) }));
  }

  private expr(e: ast.Expr, scope: Scope): ast.Expr[] {
    const opName = e.kind === "call" ? refName(e.operator) : undefined;
    if (e.kind === "call" && opName === "assign" && e.args.length === 2) {
      const rhs = this.term(e.args[1]!, scope);
      const lhs = this.declarePattern(e.args[0]!, scope, true);
      return [{ ...e, with: this.withs(e, scope), operator: builtinRef("eq", e.operator.location), args: [lhs, rhs] }];
    }
    switch (e.kind) {
      case "some":
        return this.some(e, scope);
      case "every": {
        const domain = this.term(e.domain, scope);
        const inner = new Scope(scope);
        const key = e.key ? this.declarePattern(e.key, inner, false) : this.wildcard(e.value);
        const value = this.declarePattern(e.value, inner, false);
        return [{ ...e, with: this.withs(e, scope), key, value, domain, body: this.body(e.body, inner) }];
      }
      case "term":
        return [{ ...e, with: this.withs(e, scope), term: this.term(e.term, scope) }];
      case "call":
        return [{ ...e, with: this.withs(e, scope), args: e.args.map((a) => this.term(a, scope)) }];
    }
  }

  private some(e: ast.Expr & { kind: "some" }, scope: Scope): ast.Expr[] {
    const out: ast.Expr[] = [];
    for (const s of e.symbols) {
      if (s.value.kind === "var") {
        this.declare(scope, s.value.name, s.location, true);
        continue;
      }
      if (s.value.kind === "call") {
        const args = s.value.args;
        const domain = this.term(args[args.length - 1]!, scope);
        const key = args.length === 3 ? this.declarePattern(args[0]!, scope, true) : this.wildcard(s);
        const value = this.declarePattern(args[args.length - 2]!, scope, true);
        // `some k, v in xs` ≡ `v = xs[k]` with k, v fresh: the planner iterates the ref.
        const ref: ast.Term =
          domain.value.kind === "ref"
            ? { ...domain, value: { kind: "ref", terms: [...domain.value.terms, key] } }
            : { value: { kind: "ref", terms: [domain, key] }, location: domain.location };
        out.push({ ...callExpr("eq", [value, ref], e.location, false), negated: e.negated, with: this.withs(e, scope) });
        continue;
      }
      report(this.ctx, "rego_compile_error", `unexpected ${termString(s)} in some declaration`, s.location);
    }
    return out;
  }

  term(t: ast.Term, scope: Scope): ast.Term {
    const v = t.value;
    switch (v.kind) {
      case "var": {
        if (v.name === "_") return this.wildcard(t);
        const d = scope.lookup(v.name);
        if (d) return varTerm(d, t.location);
        if (!ROOTS.has(v.name)) scope.referenced.add(v.name);
        return t;
      }
      case "ref":
        return { ...t, value: { kind: "ref", terms: v.terms.map((x, i) => (i > 0 && x.value.kind === "string" ? x : this.term(x, scope))) } };
      case "array":
        return { ...t, value: { kind: "array", items: v.items.map((x) => this.term(x, scope)) } };
      case "set":
        return { ...t, value: { kind: "set", items: v.items.map((x) => this.term(x, scope)) } };
      case "object":
        return { ...t, value: { kind: "object", entries: v.entries.map(([k, x]) => [this.term(k, scope), this.term(x, scope)] as [ast.Term, ast.Term]) } };
      case "call":
        return { ...t, value: { kind: "call", operator: v.operator, args: v.args.map((x) => this.term(x, scope)) } };
      case "arraycomp":
      case "setcomp": {
        const inner = new Scope(scope);
        const body = this.body(v.body, inner);
        return { ...t, value: { kind: v.kind, term: this.term(v.term, inner), body } };
      }
      case "objectcomp": {
        const inner = new Scope(scope);
        const body = this.body(v.body, inner);
        return { ...t, value: { kind: "objectcomp", key: this.term(v.key, inner), value: this.term(v.value, inner), body } };
      }
      default:
        return t;
    }
  }
}
