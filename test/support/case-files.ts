// TEST SUPPORT: finds YAML case files and loads capgate's own cases
// (test/cases/<stage>/<topic>/*.yaml); also the typed-key reading of the
// conformance files' want_result shared by both conformance loaders.
// A case: `note`, `modules` (Rego v1 unless `v0: true`), `data`, `input`,
// `query`, and one expectation: `want` (value, with the conformance encodings
// `set!` / `object!`), `want_undefined: true`, or `want_error` ({code, message
// fragment, row, col} of the first error); optional `want_prints`.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";

export interface CaseFile {
  note: string;
  modules: string[];
  v0?: boolean;
  data?: unknown;
  input?: unknown;
  query: string;
  want?: unknown;
  want_undefined?: boolean;
  want_error?: { code: string; message: string; row?: number; col?: number };
  /** For compile errors: how many errors the compiler must report in all. */
  want_error_count?: number;
  want_prints?: string[];
}

/** Every YAML file (.yaml or .yml) under `dir`, depth first, in name order: the order cases run in. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (name.endsWith(".yaml") || name.endsWith(".yml")) out.push(p);
  }
  return out;
}

export function loadCases(dir: string): Array<{ file: string; c: CaseFile }> {
  const out: Array<{ file: string; c: CaseFile }> = [];
  for (const p of yamlFiles(dir)) {
    const doc = parseYaml(readFileSync(p, "utf8")) as { cases: CaseFile[] };
    for (const c of doc.cases) out.push({ file: relative(dir, p), c });
  }
  return out;
}

/**
 * A conformance file parsed with `mapAsMap`, made plain: Maps become records
 * with string keys, except under `want_result`, where Maps stay so that
 * fromExpected (values.ts) keeps typed keys (`7:`, `null:`, `true:`).
 */
export function withTypedWant(doc: unknown): unknown {
  return plain(doc, ["want_result"]);
}

/** Maps become records (string keys), except under the named fields, which keep Maps for fromExpected. */
function plain(x: unknown, keep: string[]): unknown {
  if (Array.isArray(x)) return x.map((i) => plain(i, keep));
  if (x instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of x) out[String(k)] = keep.includes(String(k)) ? keepMaps(v) : plain(v, keep);
    return out;
  }
  return x;
}

/** Under want_result: `many!` wrappers become records; everything else stays a Map. */
function keepMaps(x: unknown): unknown {
  if (x instanceof Map && x.size === 1 && x.has("many!")) return { "many!": x.get("many!") };
  return x;
}

