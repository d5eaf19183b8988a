// TEST SUPPORT: loads capgate's own YAML cases (test/cases/<stage>/<topic>/*.yaml).
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
