// Pass: order each body so every variable is bound before it is read, and
// report the variables that nothing can bind (rego_unsafe_var_error "var x is
// unsafe"), as OPA's reorderBodyForSafety and checkSafetyRuleHeads do. A var is
// bound by unification (`x = t` when the other side can be evaluated), as a call
// output, or as a ref key (`xs[i]` iterates). Comprehensions and `every` read
// the outer variables they share (closures), so those must be bound first.

import type * as ast from "../ast/types.js";
import { isGround, refName } from "../ast/builders.js";
import { termString } from "../ast/print.js";
import { BUILTINS } from "../ast/builtin-decls.js";
import { ruleSetKey } from "../ast/compiled-policy.js";
import { type PassContext, displayName, forEachRule, report } from "./context.js";

type Vars = Set<string>;
const ROOTS = ["input", "data"];

/** Vars of a term outside nested bodies (what the term itself mentions). */
function topVars(t: ast.Term, out: Vars = new Set()): Vars {
  const v = t.value;
  switch (v.kind) {
    case "var":
      out.add(v.name);
      break;
    case "ref":
      v.terms.forEach((x) => topVars(x, out));
      break;
    case "array":
    case "set":
      v.items.forEach((x) => topVars(x, out));
      break;
    case "object":
      v.entries.forEach(([k, x]) => (topVars(k, out), topVars(x, out)));
      break;
    case "call":
      v.args.forEach((x) => topVars(x, out));
      break;
    default:
      break;
  }
  return out;
}

/** Vars a term mentions anywhere, nested bodies included. */
/** Plain vars in key position of the refs in `t` (outside comprehensions). */
function refKeyVars(t: ast.Term, out: Vars): void {
  const v = t.value;
  if (v.kind === "ref") {
    v.terms.forEach((x, i) => (i > 0 && x.value.kind === "var" ? out.add(x.value.name) : refKeyVars(x, out)));
  } else if (v.kind === "array" || v.kind === "set") v.items.forEach((x) => refKeyVars(x, out));
  else if (v.kind === "object") v.entries.forEach(([k, x]) => (refKeyVars(k, out), refKeyVars(x, out)));
  else if (v.kind === "call") v.args.forEach((x) => refKeyVars(x, out));
}

function allVars(t: ast.Term, out: Vars = new Set()): Vars {
  const v = t.value;
  if (v.kind === "arraycomp" || v.kind === "setcomp") {
    allVars(v.term, out);
    v.body.forEach((e) => exprAllVars(e, out));
  } else if (v.kind === "objectcomp") {
    allVars(v.key, out);
    allVars(v.value, out);
    v.body.forEach((e) => exprAllVars(e, out));
  } else if (v.kind === "ref") {
    v.terms.forEach((x) => allVars(x, out));
  } else if (v.kind === "array" || v.kind === "set") {
    v.items.forEach((x) => allVars(x, out));
  } else if (v.kind === "object") {
    v.entries.forEach(([k, x]) => (allVars(k, out), allVars(x, out)));
  } else if (v.kind === "call") {
    v.args.forEach((x) => allVars(x, out));
  } else if (v.kind === "var") {
    out.add(v.name);
  }
  return out;
}

function exprOperands(e: ast.Expr): ast.Term[] {
  switch (e.kind) {
    case "term":
      return [e.term];
    case "call":
      return e.args;
    case "some":
      return [];
    case "every":
      return [e.domain];
  }
}

function exprAllVars(e: ast.Expr, out: Vars = new Set()): Vars {
  exprOperands(e).forEach((t) => allVars(t, out));
  e.with.forEach((w) => allVars(w.value, out));
  if (e.kind === "every") {
    if (e.key) allVars(e.key, out);
    allVars(e.value, out);
    e.body.forEach((x) => exprAllVars(x, out));
  }
  return out;
}

export class SafetyChecker {
  constructor(private readonly ctx: PassContext) {}

  /** Vars that must be bound before `t` can be evaluated; `outer` names closure candidates. */
  needs(t: ast.Term, outer: Vars, out: Vars = new Set()): Vars {
    const v = t.value;
    switch (v.kind) {
      case "var":
        out.add(v.name);
        break;
      case "ref":
        v.terms.forEach((x, i) => (i === 0 ? this.needs(x, outer, out) : this.keyNeeds(x, outer, out)));
        break;
      case "array":
      case "set":
        v.items.forEach((x) => this.needs(x, outer, out));
        break;
      case "object":
        v.entries.forEach(([k, x]) => (this.needs(k, outer, out), this.needs(x, outer, out)));
        break;
      case "call":
        v.args.forEach((x) => this.needs(x, outer, out));
        break;
      case "arraycomp":
      case "setcomp":
      case "objectcomp":
        for (const x of allVars(t)) if (outer.has(x)) out.add(x);
        break;
      default:
        break;
    }
    return out;
  }

  /** A ref key binds its vars by iteration; refs inside it must still be evaluable. */
  private keyNeeds(t: ast.Term, outer: Vars, out: Vars): void {
    const v = t.value;
    if (v.kind === "var") return;
    if (v.kind === "array") return v.items.forEach((x) => this.keyNeeds(x, outer, out));
    if (v.kind === "object") return v.entries.forEach(([k, x]) => (this.needs(k, outer, out), this.keyNeeds(x, outer, out)));
    this.needs(t, outer, out);
  }

  /** Vars that must be bound before `t` can be unified as a pattern (its plain vars get bound). */
  private patternNeeds(t: ast.Term, outer: Vars, out: Vars = new Set()): Vars {
    const v = t.value;
    if (v.kind === "var") return out;
    if (v.kind === "array") {
      v.items.forEach((x) => this.patternNeeds(x, outer, out));
      return out;
    }
    if (v.kind === "object") {
      v.entries.forEach(([k, x]) => (this.needs(k, outer, out), this.patternNeeds(x, outer, out)));
      return out;
    }
    return this.needs(t, outer, out);
  }

  /**
   * The element pairs two collections unify through: arrays of one length item
   * by item, objects with the same ground keys value by value (as OPA's
   * unification does), so a var bound on either side binds its partner.
   */
  private unifyPairs(a: ast.Term, b: ast.Term): Array<readonly [ast.Term, ast.Term]> | undefined {
    const av = a.value;
    const bv = b.value;
    if (av.kind === "array" && bv.kind === "array" && av.items.length === bv.items.length) return av.items.map((x, i) => [x, bv.items[i]!] as const);
    if (av.kind !== "object" || bv.kind !== "object" || av.entries.length !== bv.entries.length) return undefined;
    if (![...av.entries, ...bv.entries].every(([k]) => isGround(k))) return undefined;
    const byKey = new Map(bv.entries.map(([k, x]) => [termString(k), x]));
    const out: Array<readonly [ast.Term, ast.Term]> = [];
    for (const [k, x] of av.entries) {
      const other = byKey.get(termString(k));
      if (other === undefined) return undefined;
      out.push([x, other]);
    }
    return out;
  }

  private subset(a: Vars, b: Vars): boolean {
    for (const x of a) if (!b.has(x)) return false;
    return true;
  }

  private unifyOutputs(a: ast.Term, b: ast.Term, bound: Vars, outer: Vars): Vars | undefined {
    const pairs = this.unifyPairs(a, b);
    if (pairs) {
      const acc = new Set(bound);
      const pending = [...pairs];
      let progress = true;
      while (pending.length > 0 && progress) {
        progress = false;
        for (let i = 0; i < pending.length; i++) {
          const got = this.unifyOutputs(pending[i]![0], pending[i]![1], acc, outer);
          if (got) {
            got.forEach((x) => acc.add(x));
            pending.splice(i, 1);
            progress = true;
            break;
          }
        }
      }
      return pending.length === 0 ? acc : undefined;
    }
    const out = new Set(bound);
    if (this.subset(this.needs(a, outer), bound) && this.subset(this.patternNeeds(b, outer), bound)) {
      topVars(a, out);
      topVars(b, out);
      return out;
    }
    if (this.subset(this.needs(b, outer), bound) && this.subset(this.patternNeeds(a, outer), bound)) {
      topVars(a, out);
      topVars(b, out);
      return out;
    }
    return undefined;
  }

  private arity(operator: ast.Term): number | undefined {
    const name = refName(operator);
    if (name === undefined) return undefined;
    if (name.startsWith("data.")) return this.ctx.ruleSets.get(ruleSetKey(name.split(".").slice(1)))?.arity;
    return BUILTINS.get(name)?.arity;
  }

  /**
   * The `with` values that must be bound before `e` runs. In `with f as abs`,
   * where f is a function, `abs` names the built-in to call instead: not a var.
   */
  private withValues(e: ast.Expr): ast.Term[] {
    return e.with.filter((w) => !(this.isFunction(refName(w.target)) && BUILTINS.has(refName(w.value) ?? ""))).map((w) => w.value);
  }

  private isFunction(name: string | undefined): boolean {
    if (name === undefined) return false;
    if (name.startsWith("data.")) return this.ctx.ruleSets.get(ruleSetKey(name.split(".").slice(1)))?.kind === "function";
    return BUILTINS.has(name);
  }

  /** The vars bound after `e` runs, or undefined when `e` cannot run yet. */
  private exprOutputs(e: ast.Expr, bound: Vars, outer: Vars): Vars | undefined {
    for (const w of this.withValues(e)) if (!this.subset(this.needs(w, outer), bound)) return undefined;
    if (e.negated) {
      // A negation binds nothing, not even a ref's key (`not input.bad[y]` is unsafe
      // in OPA): every var in it must be bound before.
      const needs = new Set<string>();
      exprOperands(e).forEach((t) => (this.needs(t, outer, needs), refKeyVars(t, needs)));
      return this.subset(needs, bound) ? new Set(bound) : undefined;
    }
    switch (e.kind) {
      case "some":
        return new Set(bound);
      case "term": {
        if (!this.subset(this.needs(e.term, outer), bound)) return undefined;
        const out = new Set(bound);
        topVars(e.term, out);
        return out;
      }
      case "every": {
        if (!this.subset(this.needs(e.domain, outer), bound)) return undefined;
        const closure = new Set<string>();
        e.body.forEach((x) => exprAllVars(x, closure));
        for (const x of closure) if (outer.has(x) && !bound.has(x)) return undefined;
        return new Set(bound);
      }
      case "call": {
        const name = refName(e.operator);
        if (name === "eq" && e.args.length === 2) return this.unifyOutputs(e.args[0]!, e.args[1]!, bound, outer);
        const arity = this.arity(e.operator) ?? e.args.length;
        const inputs = e.args.length > arity ? e.args.slice(0, arity) : e.args;
        const needs = new Set<string>();
        inputs.forEach((t) => this.needs(t, outer, needs));
        if (e.args.length > arity) this.patternNeeds(e.args[e.args.length - 1]!, outer, needs);
        // A var that is a ref's key is bound by iterating the ref, and then serves the
        // other operands too (`x == input.xs[x]`), as OPA's outputVarsForExprRefs has it.
        const available = new Set(bound);
        e.args.forEach((t) => refKeyVars(t, available));
        if (!this.subset(needs, available)) return undefined;
        const out = new Set(bound);
        e.args.forEach((t) => topVars(t, out));
        return out;
      }
    }
  }

  /** Reorders `body` for safety; reports unsafe vars. Returns the new body and the vars bound after it. */
  reorder(body: ast.Body, bound: Vars, outer: Vars): { body: ast.Body; bound: Vars } {
    const scopeOuter = new Set(outer);
    body.forEach((e) => exprOperands(e).forEach((t) => topVars(t, scopeOuter)));
    let B = new Set(bound);
    ROOTS.forEach((r) => B.add(r));
    const remaining = [...body];
    const out: ast.Body = [];
    let progress = true;
    while (remaining.length > 0 && progress) {
      progress = false;
      for (let i = 0; i < remaining.length; i++) {
        const e = remaining[i]!;
        const got = this.exprOutputs(e, B, scopeOuter);
        if (!got) continue;
        out.push(this.nested(e, B, scopeOuter));
        B = got;
        remaining.splice(i, 1);
        progress = true;
        break;
      }
    }
    if (remaining.length > 0) {
      const unsafe: Array<{ name: string; display: string; expr: ast.Expr }> = [];
      const seen = new Set<string>();
      for (const e of remaining) {
        const vars = new Set<string>();
        exprOperands(e).forEach((t) => (this.needs(t, scopeOuter, vars), e.negated ? refKeyVars(t, vars) : undefined));
        this.withValues(e).forEach((w) => this.needs(w, scopeOuter, vars));
        if (e.kind === "call" && e.args.length > 0) exprAllVars(e, vars);
        for (const x of vars) {
          if (B.has(x) || seen.has(x)) continue;
          seen.add(x);
          unsafe.push({ name: x, display: displayName(this.ctx, x), expr: e });
        }
      }
      // A var the compiler introduced (`$call1` for a hoisted call) is unsafe only
      // because a user's var is: name the user's vars, and the generated ones
      // only when nothing else explains the failure.
      const users = unsafe.filter((u) => !u.display.startsWith("$"));
      for (const u of users.length > 0 ? users : unsafe) {
        report(this.ctx, "rego_unsafe_var_error", `var ${u.display} is unsafe`, this.varLocation(u.expr, u.name));
      }
      for (const e of remaining) {
        out.push(e);
        exprAllVars(e).forEach((x) => B.add(x));
      }
    }
    return { body: out, bound: B };
  }

  private varLocation(e: ast.Expr, name: string): ast.Location {
    let loc: ast.Location | undefined;
    const find = (t: ast.Term): void => {
      if (loc) return;
      const v = t.value;
      if (v.kind === "var" && v.name === name) loc = t.location;
      else if (v.kind === "ref") v.terms.forEach(find);
      else if (v.kind === "array" || v.kind === "set") v.items.forEach(find);
      else if (v.kind === "object") v.entries.forEach(([k, x]) => (find(k), find(x)));
      else if (v.kind === "call") v.args.forEach(find);
    };
    exprOperands(e).forEach(find);
    return loc ?? e.location;
  }

  /** Orders the bodies nested in `e` (comprehensions, every) with the vars bound when `e` runs. */
  private nested(e: ast.Expr, bound: Vars, outer: Vars): ast.Expr {
    const mapT = (t: ast.Term): ast.Term => this.term(t, bound, outer);
    const withs = e.with.map((w) => ({ ...w, value: mapT(w.value) }));
    switch (e.kind) {
      case "term":
        return { ...e, with: withs, term: mapT(e.term) };
      case "call":
        return { ...e, with: withs, args: e.args.map(mapT) };
      case "some":
        return e;
      case "every": {
        const inner = new Set(bound);
        if (e.key) topVars(e.key, inner);
        topVars(e.value, inner);
        return { ...e, with: withs, domain: mapT(e.domain), body: this.reorder(e.body, inner, outer).body };
      }
    }
  }

  term(t: ast.Term, bound: Vars, outer: Vars): ast.Term {
    const v = t.value;
    const m = (x: ast.Term): ast.Term => this.term(x, bound, outer);
    switch (v.kind) {
      case "ref":
        return { ...t, value: { kind: "ref", terms: v.terms.map(m) } };
      case "array":
      case "set":
        return { ...t, value: { kind: v.kind, items: v.items.map(m) } };
      case "object":
        return { ...t, value: { kind: "object", entries: v.entries.map(([k, x]) => [m(k), m(x)] as [ast.Term, ast.Term]) } };
      case "arraycomp":
      case "setcomp": {
        const r = this.reorder(v.body, bound, outer);
        this.requireBound([v.term], r.bound, outer);
        return { ...t, value: { kind: v.kind, term: v.term, body: r.body } };
      }
      case "objectcomp": {
        const r = this.reorder(v.body, bound, outer);
        this.requireBound([v.key, v.value], r.bound, outer);
        return { ...t, value: { kind: "objectcomp", key: v.key, value: v.value, body: r.body } };
      }
      default:
        return t;
    }
  }

  requireBound(terms: ast.Term[], bound: Vars, outer: Vars): void {
    const reported = new Set<string>();
    for (const t of terms) {
      for (const x of this.needs(t, outer)) {
        if (bound.has(x) || reported.has(x) || ROOTS.includes(x)) continue;
        reported.add(x);
        const e: ast.Expr = { kind: "term", term: t, location: t.location, negated: false, with: [] };
        report(this.ctx, "rego_unsafe_var_error", `var ${displayName(this.ctx, x)} is unsafe`, this.varLocation(e, x));
      }
    }
  }
}

export function checkSafety(ctx: PassContext): void {
  const sc = new SafetyChecker(ctx);
  forEachRule(ctx, (r) => {
    const bound = new Set<string>();
    for (const a of r.head.args ?? []) topVars(a, bound);
    const headTerms = [...r.head.ref.slice(1), ...(r.head.key ? [r.head.key] : []), ...(r.head.value ? [r.head.value] : [])];
    const outer = new Set<string>(bound);
    headTerms.forEach((t) => topVars(t, outer));
    const res = sc.reorder(r.body, bound, outer);
    sc.requireBound(headTerms, res.bound, outer);
    const fix = (t: ast.Term): ast.Term => sc.term(t, res.bound, outer);
    const head: ast.Head = {
      ...r.head,
      ref: r.head.ref.map(fix),
      ...(r.head.key ? { key: fix(r.head.key) } : {}),
      ...(r.head.value ? { value: fix(r.head.value) } : {}),
    };
    return { ...r, head, body: res.body };
  });
  for (const q of ctx.queries) q.body = sc.reorder(q.body, new Set(), new Set()).body;
}
