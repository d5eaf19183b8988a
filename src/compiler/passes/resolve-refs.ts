// Pass: resolve every name to a full ref, as OPA's resolveAllRefs does. A rule
// name of the package becomes `data.<pkg>.<name>`, an import alias becomes the
// imported ref, `input`/`data` stay roots. Rule heads get their full ref
// (`data.<pkg>.<head ref>`); an else rule inherits the head ref and arguments.

import type * as ast from "../ast/types.js";
import { refName, stringTerm, term, varTerm } from "../ast/builders.js";
import { mapTerm, walkBody, walkTerm } from "../ast/walk.js";
import { BUILTINS } from "../ast/builtin-decls.js";
import { type PassContext, report } from "./context.js";

export function packagePath(m: ast.Module): string[] {
  const out: string[] = [];
  for (const [i, t] of m.package.path.entries()) {
    if (i === 0 && t.value.kind === "var" && t.value.name === "data") continue;
    if (t.value.kind === "string") out.push(t.value.value);
    else if (t.value.kind === "var") out.push(t.value.name);
  }
  return out;
}

function headName(r: ast.Rule): string | undefined {
  const first = r.head.ref[0];
  if (!first) return undefined;
  if (first.value.kind === "var") return first.value.name;
  if (first.value.kind === "string") return first.value.value;
  return undefined;
}

/** Names a rule declares for itself, which must not resolve to globals. */
function localNames(r: ast.Rule): Set<string> {
  const out = new Set<string>();
  const addVars = (t: ast.Term): void =>
    walkTerm(t, (x) => {
      if (x.value.kind === "var") out.add(x.value.name);
      return x.value.kind !== "ref";
    });
  for (const a of r.head.args ?? []) addVars(a);
  const visitBody = (b: ast.Body): void => {
    for (const e of b) {
      if (e.kind === "call" && refName(e.operator) === "assign" && e.args[0]) addVars(e.args[0]);
      if (e.kind === "some") {
        for (const s of e.symbols) {
          if (s.value.kind === "var") out.add(s.value.name);
          else if (s.value.kind === "call") {
            // `some k, v in xs` is held as member_2/member_3: all but the last operand are declared
            s.value.args.slice(0, -1).forEach(addVars);
          }
        }
      }
      if (e.kind === "every") {
        if (e.key) addVars(e.key);
        addVars(e.value);
        visitBody(e.body);
      }
    }
    walkBody(b, (t) => {
      const v = t.value;
      if (v.kind === "arraycomp" || v.kind === "setcomp" || v.kind === "objectcomp") visitBody(v.body);
    });
  };
  visitBody(r.body);
  // Comprehensions in the head (`default a = [5 | some a; a = 5]`) declare names too.
  for (const t of [r.head.value, r.head.key]) {
    if (!t) continue;
    walkTerm(t, (x) => {
      const v = x.value;
      if (v.kind === "arraycomp" || v.kind === "setcomp" || v.kind === "objectcomp") visitBody(v.body);
    });
  }
  return out;
}

export function resolveRefs(ctx: PassContext): void {
  const rulesByPackage = new Map<string, Set<string>>();
  const functionsByPackage = new Map<string, Set<string>>();
  for (const m of ctx.modules) {
    const key = packagePath(m).join(".");
    const names = rulesByPackage.get(key) ?? new Set<string>();
    const fns = functionsByPackage.get(key) ?? new Set<string>();
    for (const r of m.rules) {
      const n = headName(r);
      if (n !== undefined) names.add(n);
      if (n !== undefined && r.head.args) fns.add(n);
    }
    rulesByPackage.set(key, names);
    functionsByPackage.set(key, fns);
  }

  for (const m of ctx.modules) {
    const pkg = packagePath(m);
    const ruleNames = rulesByPackage.get(pkg.join(".")) ?? new Set<string>();
    const funcNames = functionsByPackage.get(pkg.join(".")) ?? new Set<string>();
    const aliases = new Map<string, ast.Term[]>();
    for (const imp of m.imports) {
      const terms = imp.path.value.kind === "ref" ? imp.path.value.terms : [imp.path];
      const root = terms[0]?.value.kind === "var" ? terms[0].value.name : undefined;
      if (root !== "data" && root !== "input") continue; // future.keywords / rego.v1: syntax only
      const last = terms[terms.length - 1]!;
      const alias = imp.alias ?? (terms.length === 1 ? root : last.value.kind === "string" ? last.value.value : undefined);
      if (alias === undefined) {
        report(ctx, "rego_compile_error", "import path must end with a name or use an alias", imp.location);
        continue;
      }
      if (aliases.has(alias)) report(ctx, "rego_compile_error", `import must not shadow import ${alias}`, imp.location);
      aliases.set(alias, terms);
    }

    const pkgRef = (loc: ast.Location): ast.Term[] => [varTerm("data", loc), ...pkg.map((p) => stringTerm(p, loc))];
    const resolveName = (name: string, loc: ast.Location, locals: Set<string>): ast.Term[] | undefined => {
      if (locals.has(name) || name === "input" || name === "data") return undefined;
      const imp = aliases.get(name);
      if (imp) return imp.map((t) => ({ ...t, location: loc }));
      if (ruleNames.has(name)) return [...pkgRef(loc), stringTerm(name, loc)];
      return undefined;
    };
    const resolver =
      (locals: Set<string>) =>
      (t: ast.Term): ast.Term | undefined => {
        const v = t.value;
        if (v.kind === "var") {
          const r = resolveName(v.name, t.location, locals);
          return r ? term({ kind: "ref", terms: r }, t.location) : undefined;
        }
        if (v.kind === "ref") {
          const head = v.terms[0];
          // The head was already mapped bottom-up: a resolved var became a ref; splice it.
          const terms = head && head.value.kind === "ref" ? [...head.value.terms, ...v.terms.slice(1)] : v.terms;
          return terms === v.terms ? undefined : term({ kind: "ref", terms }, t.location);
        }
        if (v.kind === "call") {
          return term({ kind: "call", operator: resolveOperator(v.operator, locals), args: v.args }, t.location);
        }
        // A comprehension's body is a body like any other: its call expressions name
        // functions and its `with` targets name rules or functions, which mapTerm's
        // term-only walk would leave unresolved.
        if (v.kind === "arraycomp" || v.kind === "setcomp") {
          return term({ kind: v.kind, term: resolveTerm(v.term, locals), body: resolveBody(v.body, locals) }, t.location);
        }
        if (v.kind === "objectcomp") {
          const [key, value] = [resolveTerm(v.key, locals), resolveTerm(v.value, locals)];
          return term({ kind: "objectcomp", key, value, body: resolveBody(v.body, locals) }, t.location);
        }
        return undefined;
      };
    // Comprehensions are left to the resolver (intoBodies false) so their bodies
    // go through resolveBody, the one place expressions are resolved.
    const resolveTerm = (x: ast.Term, locals: Set<string>): ast.Term => mapTerm(x, resolver(locals), false);
    // An operator names a built-in unless the package defines a function of that name
    // (a plain rule called `lt` does not capture the `<` operator) or its first name
    // is an import alias of a dotted name: `import data.lib as json` makes `json.unmarshal`
    // data.lib's, as OPA resolves a ref's head through the imports (ast/compile.go resolveRef).
    const resolveOperator = (op: ast.Term, locals: Set<string>): ast.Term => {
      const name = refName(op);
      const head = op.value.kind === "ref" && op.value.terms.length > 1 ? op.value.terms[0] : undefined;
      const headName = head?.value.kind === "var" ? head.value.name : undefined;
      const viaImport = headName !== undefined && aliases.has(headName) && !locals.has(headName);
      if (name !== undefined && BUILTINS.has(name) && !funcNames.has(name) && !viaImport) return op;
      return mapTerm(op, resolver(locals));
    };

    const resolveBody = (b: ast.Body, locals: Set<string>): ast.Body =>
      b.map((e) => {
        const m2 = (x: ast.Term): ast.Term => resolveTerm(x, locals);
        const withs = e.with.map((w) => ({ ...w, target: m2(w.target), value: m2(w.value) }));
        switch (e.kind) {
          case "term":
            return { ...e, with: withs, term: m2(e.term) };
          case "call":
            return { ...e, with: withs, operator: resolveOperator(e.operator, locals), args: e.args.map(m2) };
          case "some":
            return { ...e, with: withs, symbols: e.symbols.map(m2) };
          case "every":
            return { ...e, with: withs, key: e.key ? m2(e.key) : null, value: m2(e.value), domain: m2(e.domain), body: resolveBody(e.body, locals) };
        }
      });

    const resolveRule = (r: ast.Rule, parent: ast.Rule | undefined): ast.Rule => {
      const base = parent ?? r;
      const locals = localNames(r);
      const m2 = (x: ast.Term): ast.Term => resolveTerm(x, locals);
      const srcRef = r.head.ref.length > 0 ? r.head.ref : base.head.ref;
      const ref = parent
        ? parent.head.ref
        : [
            ...pkgRef(r.head.location),
            ...srcRef.map((t, i) =>
              i === 0 && t.value.kind === "var" ? stringTerm(t.value.name, t.location) : i === 0 ? t : m2(t),
            ),
          ];
      const args = r.head.args ?? base.head.args;
      const head: ast.Head = {
        ...r.head,
        ref,
        ...(args ? { args: args.map(m2) } : {}),
        ...(r.head.key ? { key: m2(r.head.key) } : {}),
        ...(r.head.value ? { value: m2(r.head.value) } : {}),
      };
      const out: ast.Rule = { ...r, head, body: resolveBody(r.body, locals) };
      if (r.else) out.else = resolveRule(r.else, out);
      return out;
    };
    m.rules = m.rules.map((r) => resolveRule(r, undefined));
  }
}
