// The Rego front end's fuzz classes, shared by the vitest suite and
// `npm run fuzz`: random token soup, deep nesting, and sources from the
// conformance corpus ($CAPGATE_CONFORMANCE_DIR, else ../shared/conformance)
// mutated by deleting, duplicating, inserting and truncating. The rule: parse
// (and, for the compile class, the compiler's passes) either succeeds or
// throws capgate's own rego_* errors, each one line; any other exception
// (TypeError, a blown stack, ...) is a crash.
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import { parseDocument } from "yaml";
import type { RegoVersion } from "../../src/compiler/ast/types.js";
import { compilePolicy } from "../../src/compiler/index.js";
import { parse } from "../../src/compiler/parser/index.js";
import { CapgateError, CapgateErrors } from "../../src/errors.js";
import { checkPolicies } from "../../src/policy/tools/index.js";
import { yamlFiles } from "../support/case-files.js";

export const conformanceDir = resolve(import.meta.dirname, "..", "..", process.env["CAPGATE_CONFORMANCE_DIR"] ?? join("..", "shared", "conformance"));

export interface CorpusSource {
  text: string;
  regoVersion: RegoVersion;
}

/** A conformance case: its modules and the query it evaluates. */
export interface CorpusCase {
  modules: string[];
  query: string;
  regoVersion: RegoVersion;
}

/** Every case of the conformance corpus with modules and a query; OPA's are Rego v1, regorus' v0 but for bindings.yaml. */
export function loadCorpusCases(dir = conformanceDir): CorpusCase[] {
  if (!existsSync(dir)) throw new Error(`conformance corpus not found at ${dir} (set CAPGATE_CONFORMANCE_DIR)`);
  const out: CorpusCase[] = [];
  for (const file of yamlFiles(dir)) {
    const rel = relative(dir, file);
    const regoVersion: RegoVersion = rel.startsWith("opa") || rel.endsWith(join("binding", "bindings.yaml")) ? 1 : 0;
    const doc = parseDocument(readFileSync(file, "utf8"), { strict: false }).toJS() as { cases?: Array<{ modules?: unknown; query?: unknown }> } | null;
    for (const c of doc?.cases ?? []) {
      const modules = (Array.isArray(c.modules) ? c.modules : []).filter((m): m is string => typeof m === "string");
      if (modules.length > 0) out.push({ modules, query: typeof c.query === "string" ? c.query : "data", regoVersion });
    }
  }
  return out;
}

/** Every module of the conformance cases. */
export function loadCorpus(dir = conformanceDir): CorpusSource[] {
  return loadCorpusCases(dir).flatMap((c) => c.modules.map((text) => ({ text, regoVersion: c.regoVersion })));
}

/** Null when `e` is one of capgate's rego errors with one-line messages; else what is wrong. */
function notRegoError(e: unknown): string | null {
  const errors = e instanceof CapgateErrors ? e.errors : e instanceof CapgateError ? [e] : null;
  if (errors === null) return `crashed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 400);
  if (errors.length === 0) return "threw an empty error list";
  for (const err of errors) {
    if (!err.code.startsWith("rego_")) return `error code ${err.code}: ${err.format()}`;
    if (err.format().includes("\n")) return `a multi-line error: ${JSON.stringify(err.format()).slice(0, 300)}`;
  }
  return null;
}

export function parseOutcome(text: string, regoVersion: RegoVersion): { ok: boolean; wrong: string | null } {
  try {
    parse(text, { file: "fuzz.rego", regoVersion });
    return { ok: true, wrong: null };
  } catch (e) {
    return { ok: false, wrong: notRegoError(e) };
  }
}

export function checkOutcome(text: string, regoVersion: RegoVersion): { ok: boolean; wrong: string | null } {
  try {
    const errors = checkPolicies({ sources: [{ file: "fuzz.rego", text }], regoVersion });
    for (const err of errors) {
      const wrong = notRegoError(err);
      if (wrong !== null) return { ok: false, wrong };
    }
    return { ok: errors.length === 0, wrong: null };
  } catch (e) {
    return { ok: false, wrong: `crashed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 400) };
  }
}

const TOKENS = [
  "package", "import", "as", "default", "if", "else", "not", "with", "some", "every", "in", "contains", "future.keywords", "rego.v1",
  "data", "input", "true", "false", "null", "x", "y", "p", "q", "f", "_", "a.b", "count", "sum", "object.get", "print", "walk",
  ":=", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "|", "&", ".", ",", ";", ":", "\n", " ", "\t",
  "(", ")", "[", "]", "{", "}", '"', '"s"', '"\\u00e9"', '"\\q"', "`raw`", "`multi\nline`", "`", '"\\\n', '"\\\t"', "0", "1", "-1", "1.5e3", "1e400", "0x10", "#", "# METADATA\n# entrypoint: true\n",
  "\u00e9", "\u{1F600}", "\u0000", "\r\n",
];

/** Token soup: text that looks like Rego often enough to get past the lexer. */
export const randomSource = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(" ")) },
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => `package fuzz\n${t.join("")}`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("(", "[", "{", "[x | ", "{x: ", "not ", "-", "f(", "a["), fc.integer({ min: 1, max: 20_000 }))
      .map(([open, depth]) => `package fuzz\np := ${open.repeat(depth)}1`),
  },
);

const edit = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
    fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom(...TOKENS) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("char" as const), at: fc.nat(), text: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) }),
  );
const edits = fc.array(edit, { minLength: 1, maxLength: 5 });

function applyEdits(text: string, list: ReadonlyArray<typeof edit extends fc.Arbitrary<infer E> ? E : never>): string {
  let t = text;
  for (const e of list) {
    const at = t.length === 0 ? 0 : e.at % (t.length + 1);
    if (e.kind === "delete") t = t.slice(0, at) + t.slice(at + e.len);
    else if (e.kind === "duplicate") t = t.slice(0, at + e.len) + t.slice(at);
    else if (e.kind === "insert") t = `${t.slice(0, at)}${e.text}${t.slice(at)}`;
    else if (e.kind === "truncate") t = t.slice(0, at);
    else t = `${t.slice(0, at)}${e.text}${t.slice(at + 1)}`;
  }
  return t;
}

/** A mutation of one corpus source: edits at random places, a few at a time. */
export function mutatedSource(corpus: readonly CorpusSource[]): fc.Arbitrary<CorpusSource> {
  return fc.tuple(fc.constantFrom(...corpus), edits).map(([src, list]) => ({ text: applyEdits(src.text, list), regoVersion: src.regoVersion }));
}

/** A corpus case with one of its modules mutated (none, now and then: the unmutated case must build too). */
export function mutatedCase(cases: readonly CorpusCase[]): fc.Arbitrary<CorpusCase> {
  return fc.tuple(fc.constantFrom(...cases), fc.nat(), fc.option(edits, { freq: 8 })).map(([c, which, list]) => {
    const i = which % c.modules.length;
    const modules = c.modules.map((m, k) => (k === i && list !== null ? applyEdits(m, list) : m));
    return { modules, query: c.query, regoVersion: c.regoVersion };
  });
}

/** Parse, compile, plan and emit Wasm for the case's query, as `policy eval` does. */
export function buildOutcome(c: CorpusCase): { ok: boolean; wrong: string | null } {
  try {
    compilePolicy({
      sources: c.modules.map((text, i) => ({ file: `fuzz${i}.rego`, text })),
      entrypoints: [],
      queries: [{ name: "fuzz/query", text: c.query }],
      regoVersion: c.regoVersion,
    });
    return { ok: true, wrong: null };
  } catch (e) {
    return { ok: false, wrong: notRegoError(e) };
  }
}
