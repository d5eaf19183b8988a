// The parser's data-driven cases: every test/cases/parser/<topic>/*.yaml file
// holds `cases:`; each case gives Rego source (`rego:` a module, or `query:`) and
// what parsing must give: printed rules / body (`rules:`, `body:`, `imports:`),
// an AST fragment (`match:`, compared as a deep subset), or errors (`error:` /
// `errors:` with code, row, col and a message substring), or the vars a walk
// of the result meets (`vars:`). Every module that parses must also survive
// print → parse → print unchanged (`roundtrip: false` opts out).

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { printBody, printExpr, printImport, printModule, printRule, printTerm } from "../../src/compiler/ast/print.js";
import type { Module, Query, RegoVersion } from "../../src/compiler/ast/types.js";
import { varNames, walkBody, walkModule } from "../../src/compiler/ast/walk.js";
import { parse, parseQuery } from "../../src/compiler/parser/index.js";
import { CapgateError, CapgateErrors } from "../../src/errors.js";

interface ExpectedError {
  code?: string;
  row?: number;
  col?: number;
  message?: string;
}

interface Case {
  note: string;
  rego?: string;
  query?: string;
  regoVersion?: RegoVersion;
  allFutureKeywords?: boolean;
  rules?: string[];
  imports?: string[];
  package?: string;
  body?: string;
  /** For a query of one expression: the expression's term, printed (`printTerm`). */
  term?: string;
  match?: unknown;
  error?: ExpectedError;
  errors?: ExpectedError[];
  comments?: string[];
  /** Var names found by walking the whole result, in first-seen order (exercises ast/walk.ts). */
  vars?: string[];
  /** Set to false where the printed (v1) form cannot be parsed again, e.g. v0 names that are v1 keywords. */
  roundtrip?: boolean;
}

const casesDir = join(import.meta.dirname, "..", "cases", "parser");

/** Deep subset: every key of `want` is in `got` with a matching value; arrays match element-wise and in length. */
function subsetMismatch(got: unknown, want: unknown, path: string): string | undefined {
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return `${path}: expected an array, got ${JSON.stringify(got)}`;
    if (got.length !== want.length) return `${path}: expected ${want.length} items, got ${got.length}: ${JSON.stringify(got).slice(0, 300)}`;
    for (let i = 0; i < want.length; i++) {
      const m = subsetMismatch(got[i], want[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (want !== null && typeof want === "object") {
    if (got === null || typeof got !== "object") return `${path}: expected an object, got ${JSON.stringify(got)}`;
    for (const [k, v] of Object.entries(want)) {
      const m = subsetMismatch((got as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (m) return m;
    }
    return undefined;
  }
  return Object.is(got, want) ? undefined : `${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}

function run(c: Case): Module | Query {
  const regoVersion = c.regoVersion ?? 1;
  if (c.rego !== undefined) return parse(c.rego, { file: "case.rego", regoVersion });
  if (c.query !== undefined) return parseQuery(c.query, { file: "query", regoVersion, allFutureKeywords: c.allFutureKeywords ?? false });
  throw new Error(`case "${c.note}" has neither rego nor query`);
}

function checkErrors(c: Case, e: unknown): void {
  const wanted = c.errors ?? (c.error ? [c.error] : []);
  let got: CapgateError[];
  if (e instanceof CapgateErrors) got = [...e.errors];
  else if (e instanceof CapgateError) got = [e];
  else throw e;
  expect(got.map((g) => g.format()), "number of errors").toHaveLength(wanted.length);
  wanted.forEach((w, i) => {
    const g = got[i] as CapgateError;
    expect(g.code).toBe(w.code ?? "rego_parse_error");
    if (w.row !== undefined) expect(g.location?.row, g.format()).toBe(w.row);
    if (w.col !== undefined) expect(g.location?.col, g.format()).toBe(w.col);
    if (w.message !== undefined) expect(g.message).toContain(w.message);
    expect(g.location?.file).toBe(c.rego !== undefined ? "case.rego" : "query");
  });
}

for (const topic of readdirSync(casesDir).sort()) {
  describe(topic, () => {
    for (const file of readdirSync(join(casesDir, topic)).filter((f) => f.endsWith(".yaml")).sort()) {
      const doc = parseYaml(readFileSync(join(casesDir, topic, file), "utf8")) as { cases: Case[] };
      for (const c of doc.cases) {
        test(`${file}: ${c.note}`, () => {
          if (c.error || c.errors) {
            let thrown: unknown;
            try {
              run(c);
            } catch (e) {
              thrown = e;
            }
            expect(thrown, "parsing must fail").toBeDefined();
            checkErrors(c, thrown);
            return;
          }
          const out = run(c);
          if ("rules" in out) {
            if (c.rules) expect(out.rules.map(printRule)).toEqual(c.rules);
            if (c.imports) expect(out.imports.map(printImport)).toEqual(c.imports);
            if (c.package) expect(printTerm({ value: { kind: "ref", terms: out.package.path }, location: out.package.location })).toBe(c.package);
            if (c.comments) expect(out.comments.map((x) => x.text)).toEqual(c.comments);
            if (c.roundtrip !== false) {
              // The printer writes v1 syntax with prefix calls; parsing that again must give the same module.
              const printed = printModule(out);
              expect(printModule(parse(printed, { file: "printed.rego" })), printed).toBe(printed);
            }
          } else {
            if (c.body !== undefined) expect(printBody(out.body)).toBe(c.body);
            if (c.term !== undefined) {
              expect(out.body.map(printExpr)).toHaveLength(1);
              const e = out.body[0];
              expect(e?.kind).toBe("term");
              if (e?.kind === "term") expect(printTerm(e.term)).toBe(c.term);
            }
          }
          if (c.vars !== undefined) {
            const m = out;
            const all = { withTargets: true };
            expect("rules" in m ? varNames((f) => walkModule(m, f, all)) : varNames((f) => walkBody(m.body, f, all))).toEqual(c.vars);
          }
          if (c.match !== undefined) {
            const m = subsetMismatch(JSON.parse(JSON.stringify(out)), c.match, "$");
            expect(m).toBeUndefined();
          }
        });
      }
    }
  });
}
