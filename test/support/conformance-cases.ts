// TEST SUPPORT: reads the conformance corpus (see ../shared/conformance/README.md)
// and judges one case against an evaluator, so the interpreter path and, later,
// the Wasm path share the reading of the format.

import { readFileSync } from "node:fs";
import { withTypedWant, yamlFiles } from "./case-files.js";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { type V, equal, fromExpected, toJSON } from "./values.js";

export interface ConformanceCase {
  file: string;
  folder: string;
  note: string;
  modules: string[];
  data: unknown;
  inputs: unknown[];
  query: string;
  regoVersion: 0 | 1;
  expect: { kind: "error" } | { kind: "undefined" } | { kind: "values"; values: Array<V | undefined>; many: boolean };
  prints?: string[];
  skip: boolean;
  /** Set when the file could not be read; the case fails with this reason. */
  loadError?: string;
}

export function conformanceDir(): string {
  return process.env["CAPGATE_CONFORMANCE_DIR"] ?? join(process.cwd(), "..", "shared", "conformance");
}

function isMany(x: unknown): x is { "many!": unknown[] } {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Array.isArray((x as Record<string, unknown>)["many!"]);
}

export function loadConformance(root: string): ConformanceCase[] {
  const base = join(root, "regorus");
  const out: ConformanceCase[] = [];
  for (const file of yamlFiles(base)) {
    const rel = relative(base, file);
    const folder = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : ".";
    // Some files indent flow collections loosely (fine for Go's YAML); the relaxed mode reads them.
    let doc: { cases?: Array<Record<string, unknown>> };
    try {
      // Maps keep typed keys (`7:`, `null:`, `true:`) that expected objects use.
      doc = withTypedWant(parseYaml(readFileSync(file, "utf8"), { maxAliasCount: -1, strict: false, mapAsMap: true })) as typeof doc;
    } catch (e) {
      // Counted as one failing case, so an unreadable file cannot vanish from the totals.
      out.push({
        file: rel, folder, note: "(whole file)", modules: [], data: {}, inputs: [undefined], query: "", regoVersion: 0,
        expect: { kind: "undefined" }, skip: false, loadError: `unreadable YAML: ${(e as Error).message.split("\n")[0]}`,
      });
      continue;
    }
    for (const c of doc.cases ?? []) {
      const input = c["input"];
      const want = c["want_result"];
      let expect: ConformanceCase["expect"];
      if (c["error"] !== undefined) expect = { kind: "error" };
      else if (c["no_result"]) expect = { kind: "undefined" };
      else if (isMany(want)) expect = { kind: "values", values: want["many!"].map(fromExpected), many: true };
      else expect = { kind: "values", values: [fromExpected(want)], many: false };
      out.push({
        file: rel,
        folder,
        note: String(c["note"] ?? ""),
        modules: (c["modules"] as string[] | undefined) ?? [],
        data: c["data"] ?? {},
        inputs: isMany(input) ? input["many!"] : [input],
        query: String(c["query"] ?? ""),
        regoVersion: rel.startsWith("binding/bindings") ? 1 : 0,
        expect,
        ...(Array.isArray(c["want_prints"]) ? { prints: c["want_prints"] as string[] } : {}),
        skip: c["skip"] === true,
      });
    }
  }
  return out;
}

/** Runs one case; `evaluate` returns the answers for one input (or throws). Returns a failure reason or undefined. */
export function judge(
  c: ConformanceCase,
  prepare: () => (input: unknown) => { answers: V[]; prints: string[] },
): string | undefined {
  if (c.loadError) return c.loadError;
  let run: (input: unknown) => { answers: V[]; prints: string[] };
  try {
    run = prepare();
  } catch (e) {
    return c.expect.kind === "error" ? undefined : `compile: ${(e as Error).message.split("\n")[0]}`;
  }
  const answers: Array<V | undefined> = [];
  const prints: string[] = [];
  try {
    for (const input of c.inputs) {
      const r = run(input);
      prints.push(...r.prints);
      if (c.inputs.length > 1) answers.push(r.answers[0]);
      else answers.push(...r.answers);
    }
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0] ?? "";
    // A built-in the evaluator lacks is not the error the case expects: never count it as a pass.
    if (msg.includes("not implemented")) return `eval: ${msg}`;
    return c.expect.kind === "error" ? undefined : `eval: ${msg}`;
  }
  if (c.expect.kind === "error") return "expected an error, got a result";
  if (c.expect.kind === "undefined") {
    return answers.every((a) => a === undefined) ? undefined : `expected undefined, got ${JSON.stringify(answers.map((a) => a === undefined ? "#undefined" : toJSON(a)))}`;
  }
  const want = c.expect.values;
  const got = c.inputs.length > 1 || c.expect.many ? answers : answers.length === 0 ? [undefined] : answers;
  const same = got.length === want.length && got.every((g, i) => (g === undefined ? want[i] === undefined : want[i] !== undefined && equal(g, want[i]!)));
  if (!same) {
    const show = (xs: Array<V | undefined>): string => JSON.stringify(xs.map((a) => (a === undefined ? "#undefined" : toJSON(a))));
    return `want ${show(want)}, got ${show(got)}`;
  }
  if (c.prints && JSON.stringify(c.prints) !== JSON.stringify(prints)) return `prints: want ${JSON.stringify(c.prints)}, got ${JSON.stringify(prints)}`;
  return undefined;
}
