// Parses every module and query of the external conformance suite (regorus
// cases, see ../shared/conformance/README.md) and asserts floors on how many
// parse. Modules of cases that expect an error may legitimately fail to parse,
// so they are counted apart. The directory comes from CAPGATE_CONFORMANCE_DIR,
// else ../shared/conformance beside the repository; when absent, the test says
// so and checks nothing else.

import { existsSync, readFileSync } from "node:fs";
import { yamlFiles } from "../support/case-files.js";
import { join, relative, resolve } from "node:path";
import { expect, test } from "vitest";
import { parseDocument } from "yaml";
import { printModule } from "../../src/compiler/ast/print.js";
import { parse, parseQuery } from "../../src/compiler/parser/index.js";
import { CapgateError, CapgateErrors } from "../../src/errors.js";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const dir = resolve(repoRoot, process.env["CAPGATE_CONFORMANCE_DIR"] ?? join("..", "shared", "conformance"));

/** Measured on 2026-11-24: every module of a value-expecting case parses. */
const FLOOR_VALUE_MODULES = 308;
const FLOOR_QUERIES = 484;

interface ConformanceCase {
  note?: string;
  modules?: string[];
  query?: string;
  error?: unknown;
}

function firstError(e: unknown): string {
  if (e instanceof CapgateErrors) return (e.errors[0] as CapgateError).format();
  if (e instanceof CapgateError) return e.format();
  throw e;
}

test("conformance modules parse", () => {
  if (!existsSync(dir)) {
    console.log(`conformance parse: not run, ${dir} does not exist (set CAPGATE_CONFORMANCE_DIR to the conformance folder)`);
    return;
  }
  let valueOk = 0;
  let errorCaseOk = 0;
  let errorCaseRejected = 0;
  let queriesOk = 0;
  const failures: string[] = [];
  let parseMs = 0;
  // OPA's cases (opa/) are Rego v1 and parsed by the OPA conformance run itself.
  for (const file of yamlFiles(existsSync(join(dir, "regorus")) ? join(dir, "regorus") : dir)) {
    const rel = relative(dir, file);
    // Some files are not strict YAML 1.2 (flow sequences indented as go-yaml allows); read them leniently.
    const doc = parseDocument(readFileSync(file, "utf8"), { strict: false }).toJS() as { cases?: ConformanceCase[] } | null;
    // Only bindings.yaml is written in Rego v1; the rest is v0 (README).
    const regoVersion = rel.endsWith(join("binding", "bindings.yaml")) ? 1 : 0;
    for (const c of doc?.cases ?? []) {
      for (const [i, source] of (c.modules ?? []).entries()) {
        const t0 = performance.now();
        try {
          const module = parse(source, { file: `${rel}#${c.note ?? "?"}#${i}`, regoVersion });
          parseMs += performance.now() - t0;
          // The printed v1 form must parse back to the same module.
          const printed = printModule(module);
          let again: string;
          try {
            again = printModule(parse(printed, { file: "printed.rego" }));
          } catch (e) {
            again = firstError(e);
          }
          if (again !== printed) failures.push(`print/parse round trip differs for ${rel}#${c.note ?? "?"}: ${again.slice(0, 200)}`);
          if (c.error !== undefined) errorCaseOk++;
          else valueOk++;
        } catch (e) {
          const msg = firstError(e);
          if (c.error !== undefined) errorCaseRejected++;
          else failures.push(msg);
        }
      }
      if (c.query !== undefined) {
        try {
          parseQuery(String(c.query), { regoVersion, allFutureKeywords: true });
          queriesOk++;
        } catch (e) {
          failures.push(`query of ${rel}#${c.note ?? "?"}: ${firstError(e)}`);
        }
      }
    }
  }
  console.log(
    `conformance parse: modules of value cases parsed ${valueOk}, failed ${failures.length}; ` +
      `modules of error cases parsed ${errorCaseOk}, rejected by the parser ${errorCaseRejected}; ` +
      `queries parsed ${queriesOk}; ${parseMs.toFixed(0)} ms parsing the modules that parse`,
  );
  for (const f of failures) console.log(`  ${f}`);
  expect(valueOk).toBeGreaterThanOrEqual(FLOOR_VALUE_MODULES);
  expect(queriesOk).toBeGreaterThanOrEqual(FLOOR_QUERIES);
  expect(failures).toEqual([]);
});
