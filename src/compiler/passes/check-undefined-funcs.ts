// Pass: every called function must exist with a matching number of arguments:
// a user function (`data.<pkg>.f`) from the rule tree or a built-in from
// builtin-decls. Records the built-ins in use. Errors are rego_type_error, as
// OPA's type checker reports them.

import type * as ast from "../ast/types.js";
import { refName } from "../ast/builders.js";
import { walkBody, walkTerm } from "../ast/walk.js";
import { BUILTINS, OPERATOR_SYMBOLS } from "../ast/builtin-decls.js";
import { ruleSetKey } from "../ast/compiled-policy.js";
import { type PassContext, forEachRule, report } from "./context.js";

export function checkUndefinedFuncs(ctx: PassContext): void {
  // A hoisted call (`x := f(1)`) carries its result as an extra last argument;
  // its own operands must match the arity exactly, as OPA checks a call term.
  const checkCall = (operator: ast.Term, nargs: number, loc: ast.Location, hoisted = false): void => {
    const name = refName(operator);
    if (name === undefined) {
      report(ctx, "rego_type_error", "function name must be a reference", loc);
      return;
    }
    if (name.startsWith("data.")) {
      const set = ctx.ruleSets.get(ruleSetKey(name.split(".").slice(1)));
      if (!set || set.kind !== "function") {
        report(ctx, "rego_type_error", `undefined function ${name}`, loc);
        return;
      }
      const arity = set.arity ?? 0;
      if (hoisted ? nargs !== arity + 1 : nargs !== arity && nargs !== arity + 1) {
        report(ctx, "rego_type_error", `${name}: arity mismatch: have ${hoisted ? nargs - 1 : nargs} arguments, want ${arity}`, loc);
      }
      return;
    }
    const decl = BUILTINS.get(name);
    if (!decl || decl.absent) {
      report(ctx, "rego_type_error", `undefined function ${name}${decl ? " (capgate does not provide this built-in)" : ""}`, loc);
      return;
    }
    ctx.builtins.add(name);
    if (decl.varargs) return;
    if (hoisted ? nargs !== decl.arity + 1 : nargs !== decl.arity && nargs !== decl.arity + 1) {
      const shown = OPERATOR_SYMBOLS[name] ? `${name} (${OPERATOR_SYMBOLS[name]})` : name;
      report(ctx, "rego_type_error", `${shown}: arity mismatch: have ${hoisted ? nargs - 1 : nargs} arguments, want ${decl.arity}`, loc);
    }
  };
  const visitBody = (b: ast.Body): void => {
    for (const e of b) {
      if (e.kind === "call") checkCall(e.operator, e.args.length, e.location, e.hoisted === true);
      if (e.kind === "every") visitBody(e.body);
      for (const w of e.with) checkWithTarget(ctx, w);
    }
    walkBody(b, (t) => {
      const v = t.value;
      if (v.kind === "call") checkCall(v.operator, v.args.length, t.location);
      if (v.kind === "arraycomp" || v.kind === "setcomp" || v.kind === "objectcomp") {
        visitBody(v.body);
        return false;
      }
      return true;
    });
  };
  forEachRule(ctx, (r) => {
    visitBody(r.body);
    for (const t of [r.head.value, r.head.key]) {
      if (t) walkTerm(t, (x) => { if (x.value.kind === "arraycomp" || x.value.kind === "setcomp" || x.value.kind === "objectcomp") visitBody(x.value.body); });
    }
  });
  for (const q of ctx.queries) visitBody(q.body);
}

function checkWithTarget(ctx: PassContext, w: ast.With): void {
  const name = refName(w.target);
  if (name === undefined || name === "input" || name === "data" || name.startsWith("input.") || name.startsWith("data.")) {
    if (name === undefined && !(w.target.value.kind === "ref" && ["input", "data"].includes(refName({ ...w.target, value: { kind: "ref", terms: w.target.value.terms.slice(0, 1) } }) ?? ""))) {
      report(ctx, "rego_compile_error", "with keyword target must reference existing input, data, or a function", w.location);
    }
    checkPartialVirtual(ctx, w);
    return;
  }
  if (!BUILTINS.has(name)) {
    report(ctx, "rego_compile_error", `with keyword target must reference existing input, data, or a function: ${name}`, w.location);
    return;
  }
  // Built-ins the planner cannot replace (unification, rule metadata, calls the
  // compiler generates, relations and print) are rejected, never ignored.
  const why = unreplaceable(name);
  if (why) report(ctx, "rego_compile_error", `with keyword replacing built-in function: ${why}`, w.target.location);
}

function unreplaceable(name: string): string | undefined {
  if (name === "eq" || name === "rego.metadata.chain" || name === "rego.metadata.rule") return `replacement of "${name}" invalid`;
  if (name.startsWith("internal.")) return `replacement of internal function "${name}" invalid`;
  if (BUILTINS.get(name)?.relation) return "target must not be a relation";
  if (name === "print") return "target must not be a void function";
  return undefined;
}

/**
 * `with data.p.k as v` where data.p is a rule: the planner can replace a rule's
 * whole document but not a part of it, and ignoring the `with` would be wrong,
 * so it is an error, as in OPA.
 */
function checkPartialVirtual(ctx: PassContext, w: ast.With): void {
  if (w.target.value.kind !== "ref") return;
  const terms = w.target.value.terms;
  if (terms[0]?.value.kind !== "var" || terms[0].value.name !== "data") return;
  let node = ctx.ruleTree;
  for (let i = 1; i < terms.length - 1; i++) {
    const t = terms[i]!.value;
    const child = t.kind === "string" ? node.children.get(t.value) : undefined;
    if (!child) return;
    node = child;
    if (node.ruleSet) {
      report(ctx, "rego_compile_error", "with keyword cannot partially replace virtual document(s)", w.target.location);
      return;
    }
  }
}
