// Pass: `print(a, b)` becomes `internal.print([{x | x = a}, {y | y = b}])`, as in
// OPA, so that an undefined argument prints `<undefined>` instead of making the
// whole expression undefined.

import type * as ast from "../ast/types.js";
import { callExpr, refName, term, varTerm } from "../ast/builders.js";
import { mapBody } from "../ast/walk.js";
import { type PassContext, forEachRule, freshVar } from "./context.js";

function rewriteBody(ctx: PassContext, b: ast.Body): ast.Body {
  const nested = mapBody(b, (t) => {
    const v = t.value;
    if (v.kind === "arraycomp" || v.kind === "setcomp") return { ...t, value: { ...v, body: rewriteBody(ctx, v.body) } };
    if (v.kind === "objectcomp") return { ...t, value: { ...v, body: rewriteBody(ctx, v.body) } };
    return undefined;
  });
  return nested.map((e) => {
    if (e.kind === "every") return { ...e, body: rewriteBody(ctx, e.body) };
    if (e.kind !== "call" || refName(e.operator) !== "print") return e;
    const sets = e.args.map((a) => {
      const x = freshVar(ctx, "print");
      const body: ast.Body = [callExpr("eq", [varTerm(x, a.location), a], a.location)];
      return term({ kind: "setcomp", term: varTerm(x, a.location), body }, a.location);
    });
    const arr = term({ kind: "array", items: sets }, e.location);
    return { ...callExpr("internal.print", [arr], e.location, false), negated: e.negated, with: e.with };
  });
}

export function rewritePrintCalls(ctx: PassContext): void {
  forEachRule(ctx, (r) => ({ ...r, body: rewriteBody(ctx, r.body) }));
  for (const q of ctx.queries) q.body = rewriteBody(ctx, q.body);
}
