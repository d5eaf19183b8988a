// Pass: make every expression a single call on simple terms, as OPA's
// rewriteExprTerms and rewriteDynamicTerms do. A call nested in an argument, in a
// ref (`f(x)[0]`, `a[g(y)]`), in a collection or in a `with` value is hoisted
// into an expression of its own that binds a generated var; the original place
// reads that var. Calls in rule heads move to the end of the body. A bare call
// used as an expression (`startswith(x, "a")`) becomes a call expression.

import type * as ast from "../ast/types.js";
import { callExpr, term, varTerm } from "../ast/builders.js";
import { type PassContext, forEachRule, freshVar } from "./context.js";

export function rewriteExprTerms(ctx: PassContext): void {
  const rw = new Hoister(ctx);
  forEachRule(ctx, (r) => {
    const body = rw.body(r.body);
    const pre: ast.Expr[] = [];
    const head: ast.Head = {
      ...r.head,
      ref: r.head.ref.map((t) => rw.term(t, pre, [])),
      ...(r.head.key ? { key: rw.term(r.head.key, pre, []) } : {}),
      ...(r.head.value ? { value: rw.term(r.head.value, pre, []) } : {}),
    };
    return { ...r, head, body: [...body, ...pre] };
  });
  for (const q of ctx.queries) q.body = rw.body(q.body);
}

class Hoister {
  constructor(private readonly ctx: PassContext) {}

  body(b: ast.Body): ast.Body {
    const out: ast.Body = [];
    for (const e of b) out.push(...this.expr(e));
    return out;
  }

  private expr(e: ast.Expr): ast.Expr[] {
    const withPre: ast.Expr[] = [];
    const withs = e.with.map((w) => ({ ...w, value: this.term(w.value, withPre, []) }));
    const pre: ast.Expr[] = [];
    // Hoisted calls run under the same `with` modifiers as the expression they came from.
    let main: ast.Expr;
    switch (e.kind) {
      case "term": {
        const t = e.term;
        if (t.value.kind === "call") {
          main = { ...e, kind: "call", operator: t.value.operator, args: t.value.args.map((a) => this.operand(a, pre, withs)), with: withs } as ast.Expr;
        } else {
          main = { ...e, term: this.term(t, pre, withs), with: withs };
        }
        break;
      }
      case "call":
        main = { ...e, args: e.args.map((a) => this.operand(a, pre, withs)), with: withs };
        break;
      case "every":
        main = { ...e, domain: this.operand(e.domain, pre, withs), body: this.body(e.body), with: withs };
        break;
      case "some":
        main = { ...e, with: withs };
        break;
    }
    if (e.negated && pre.length > 0) return [...withPre, this.negatedBody([...pre, { ...main, negated: false }], e, withs)];
    return [...withPre, ...pre, main];
  }

  /**
   * `not f(g(x))`: the hoisted calls belong inside the negation, as in OPA, so
   * that an undefined operand makes the negation true rather than the body
   * fail. The expression becomes `[true | g(x, t); f(t)] == []` (no solution),
   * run under the expression's `with` modifiers.
   */
  private negatedBody(body: ast.Body, e: ast.Expr, withs: ast.With[]): ast.Expr {
    const loc = e.location;
    const inner = body.map((x) => ({ ...x, with: [] }));
    const solutions = term({ kind: "arraycomp", term: term({ kind: "boolean", value: true }, loc), body: inner }, loc);
    return { ...callExpr("equal", [solutions, term({ kind: "array", items: [] }, loc)], loc), with: withs };
  }

  /** A call argument: a nested call becomes a generated var. */
  private operand(t: ast.Term, pre: ast.Expr[], withs: ast.With[]): ast.Term {
    return this.term(t, pre, withs);
  }

  term(t: ast.Term, pre: ast.Expr[], withs: ast.With[]): ast.Term {
    const v = t.value;
    switch (v.kind) {
      case "call": {
        const args = v.args.map((a) => this.term(a, pre, withs));
        const out = varTerm(freshVar(this.ctx, "call"), t.location);
        pre.push({ kind: "call", operator: v.operator, args: [...args, out], location: t.location, negated: false, with: withs, generated: true, hoisted: true });
        return out;
      }
      case "ref":
        return { ...t, value: { kind: "ref", terms: v.terms.map((x) => this.term(x, pre, withs)) } };
      case "array":
        return { ...t, value: { kind: "array", items: v.items.map((x) => this.term(x, pre, withs)) } };
      case "set":
        return { ...t, value: { kind: "set", items: v.items.map((x) => this.term(x, pre, withs)) } };
      case "object":
        return {
          ...t,
          value: { kind: "object", entries: v.entries.map(([k, x]) => [this.term(k, pre, withs), this.term(x, pre, withs)] as [ast.Term, ast.Term]) },
        };
      case "arraycomp":
      case "setcomp": {
        const body = this.body(v.body);
        const tail: ast.Expr[] = [];
        const head = this.term(v.term, tail, []);
        return { ...t, value: { kind: v.kind, term: head, body: [...body, ...tail] } };
      }
      case "objectcomp": {
        const body = this.body(v.body);
        const tail: ast.Expr[] = [];
        const key = this.term(v.key, tail, []);
        const value = this.term(v.value, tail, []);
        return { ...t, value: { kind: "objectcomp", key, value, body: [...body, ...tail] } };
      }
      default:
        return t;
    }
  }
}
