// Pass: the semantics of `import rego.v1` / `future.keywords` and of Rego v1
// modules. Syntax is the parser's business; what is left for the compiler is
// that v1 (and rego.v1) reserve `input` and `data` as rule and function names
// and forbid deprecated built-ins, as OPA's strict v1 checks do, and that
// `rego.v1` is not imported twice or together with `future.keywords`.

import type { Module } from "../ast/types.js";
import { refName } from "../ast/builders.js";
import { type PassContext, report } from "./context.js";

const DEPRECATED = new Set(["any", "all", "re_match", "set_diff", "cast_array", "cast_set", "cast_string", "cast_boolean", "cast_null", "cast_object"]);

/** Rego v1 modules and v0 modules importing rego.v1 get OPA's strict checks. */
export function isStrict(m: Module): boolean {
  return m.regoVersion === 1 || m.imports.some((i) => refName(i.path) === "rego.v1");
}

export function checkKeywords(ctx: PassContext): void {
  for (const m of ctx.modules) {
    const v1 = isStrict(m);
    // `rego.v1` already brings every future keyword: importing both, or it twice, is an error.
    let sawV1 = false;
    let sawFuture = false;
    for (const imp of m.imports) {
      const name = refName(imp.path) ?? "";
      const isV1 = name === "rego.v1";
      const isFuture = name === "future.keywords" || name.startsWith("future.keywords.");
      if ((isV1 && (sawV1 || sawFuture)) || (isFuture && sawV1)) {
        report(ctx, "rego_compile_error", `this import shadows previous import of ${isV1 ? "rego.v1" : name}`, imp.location);
      }
      sawV1 ||= isV1;
      sawFuture ||= isFuture;
    }
    if (!v1) continue;
    for (const r of m.rules) {
      const first = r.head.ref[0];
      const name = first?.value.kind === "var" ? first.value.name : undefined;
      if (name === "input" || name === "data") {
        report(ctx, "rego_compile_error", `rules must not shadow ${name} (use a different rule name)`, r.head.location);
      }
    }
    const visit = (t: { value: { kind: string } } & Parameters<typeof refName>[0]): void => {
      const n = refName(t);
      if (n && DEPRECATED.has(n)) report(ctx, "rego_type_error", `deprecated built-in function calls in expression: ${n}`, t.location);
    };
    for (const r of m.rules) {
      for (let x: typeof r | undefined = r; x; x = x.else) {
        for (const e of x.body) if (e.kind === "call") visit(e.operator);
      }
    }
  }
}
