// Pass: `rego.metadata.chain()` and `rego.metadata.rule()` become constants at
// compile time, as OPA's rewriteRegoMetadataCalls does: the chain is the list
// of {path, annotations} from the calling rule up through its document, its
// package and the `subpackages` annotations of the packages above; the rule's
// metadata is its own (rule- or document-scoped) annotations, or {}. Nothing
// is left for run time, so the built-ins never reach the planner.

import type * as ast from "../ast/types.js";
import { refName, term } from "../ast/builders.js";
import { mapBody, mapTerm } from "../ast/walk.js";
import { type PassContext, forEachRule } from "./context.js";
import { packagePath } from "./resolve-refs.js";

const CHAIN = "rego.metadata.chain";
const RULE = "rego.metadata.rule";

export function rewriteRegoMetadata(ctx: PassContext): void {
  const packages = packageAnnotations(ctx.modules);
  // The document-scoped block sits on one rule of the document; every rule of it shares it.
  const documents = new Map<string, ast.Annotations>();
  for (const m of ctx.modules) {
    for (const r of m.rules) if (r.annotations?.scope === "document") documents.set(rulePath(r).join("."), r.annotations);
  }
  forEachRule(ctx, (r, m) => {
    const pkg = packagePath(m);
    const path = rulePath(r);
    const own = r.annotations?.scope === "rule" ? r.annotations : undefined;
    const doc = documents.get(path.join("."));
    const chain: unknown[] = [own ? { path, annotations: annotationsJson(own) } : { path }];
    if (doc) chain.push({ path, annotations: annotationsJson(doc) });
    for (let n = pkg.length; n >= 1; n--) {
      const at = pkg.slice(0, n);
      for (const a of packages.get(at.join(".")) ?? []) {
        if (a.scope === "subpackages" || (a.scope === "package" && n === pkg.length)) chain.push({ path: at, annotations: annotationsJson(a) });
      }
    }
    const ruleMeta = own ?? doc;
    return rewriteRule(r, { [CHAIN]: chain, [RULE]: ruleMeta ? annotationsJson(ruleMeta) : {} });
  });
}

/** Package and subpackages annotations by package path, from every module of the package. */
function packageAnnotations(modules: ast.Module[]): Map<string, ast.Annotations[]> {
  const out = new Map<string, ast.Annotations[]>();
  for (const m of modules) {
    const key = packagePath(m).join(".");
    const list = out.get(key) ?? [];
    // package scope first, then subpackages, as OPA lists them
    list.push(...m.annotations.filter((a) => a.scope === "package"), ...m.annotations.filter((a) => a.scope === "subpackages"));
    out.set(key, list);
  }
  return out;
}

/** The rule's path below data: its head ref's leading strings (`data.a.p[x]` is a, p). */
function rulePath(r: ast.Rule): string[] {
  const out: string[] = [];
  for (const [i, t] of r.head.ref.entries()) {
    if (i === 0 && t.value.kind === "var" && t.value.name === "data") continue;
    if (t.value.kind !== "string") break;
    out.push(t.value.value);
  }
  return out;
}

/** Annotations as OPA prints them: authors as {name, email}, related resources as {ref, description}. */
function annotationsJson(a: ast.Annotations): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a.raw, scope: a.scope };
  const authors = out["authors"];
  if (Array.isArray(authors)) out["authors"] = authors.map((x) => (typeof x === "string" ? author(x) : x));
  else if (typeof authors === "string") out["authors"] = [author(authors)];
  const related = out["related_resources"];
  if (Array.isArray(related)) out["related_resources"] = related.map((x) => (typeof x === "string" ? { ref: x } : x));
  if (out["entrypoint"] === false) delete out["entrypoint"];
  return out;
}

/** "Jane Doe <jane@example.com>" → {name, email}; a lone address is the email. */
function author(text: string): Record<string, string> {
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(text.trim());
  if (m) return m[1] ? { name: m[1], email: m[2]! } : { email: m[2]! };
  return text.includes("@") && !text.includes(" ") ? { email: text.trim() } : { name: text.trim() };
}

function rewriteRule(r: ast.Rule, values: Record<string, unknown>): ast.Rule {
  const constant = (name: string | undefined, loc: ast.Location): ast.Term | undefined =>
    name !== undefined && name in values ? valueTerm(values[name], loc) : undefined;
  const f = (t: ast.Term): ast.Term | undefined => (t.value.kind === "call" && t.value.args.length === 0 ? constant(refName(t.value.operator), t.location) : undefined);
  const body = mapBody(r.body, f).map((e): ast.Expr => {
    // `rego.metadata.chain(x)`: the relation form binds its output.
    if (e.kind !== "call" || e.args.length !== 1) return e;
    const c = constant(refName(e.operator), e.location);
    if (c === undefined) return e;
    return { ...e, operator: term({ kind: "ref", terms: [term({ kind: "var", name: "eq" }, e.operator.location)] }, e.operator.location), args: [e.args[0]!, c] };
  });
  const head: ast.Head = {
    ...r.head,
    ...(r.head.value ? { value: mapTerm(r.head.value, f) } : {}),
    ...(r.head.key ? { key: mapTerm(r.head.key, f) } : {}),
  };
  return { ...r, head, body };
}

/** A JSON value as a constant term. */
function valueTerm(x: unknown, loc: ast.Location): ast.Term {
  if (x === null || x === undefined) return term({ kind: "null" }, loc);
  if (typeof x === "boolean") return term({ kind: "boolean", value: x }, loc);
  if (typeof x === "number") return term({ kind: "number", text: String(x) }, loc);
  if (typeof x === "string") return term({ kind: "string", value: x }, loc);
  if (Array.isArray(x)) return term({ kind: "array", items: x.map((i) => valueTerm(i, loc)) }, loc);
  if (x instanceof Date) return term({ kind: "string", value: x.toISOString() }, loc);
  const entries = Object.entries(x as Record<string, unknown>).map(([k, v]) => [term({ kind: "string", value: k }, loc), valueTerm(v, loc)] as [ast.Term, ast.Term]);
  return term({ kind: "object", entries }, loc);
}
