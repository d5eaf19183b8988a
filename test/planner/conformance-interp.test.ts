// The conformance corpus through parser → compile → plan → the reference IR
// interpreter (test/support/ir-interpreter.ts). THIS IS THE INTERPRETER PATH,
// not the product: it measures the front and middle of the compiler before the
// Wasm emitter exists. It prints passed/failed per folder; no floor yet.

import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { judge, loadConformance, conformanceDir } from "../support/conformance-cases.js";
import { compileRego, evalCompiled } from "../support/rego-eval.js";

const dir = conformanceDir();

describe("conformance via the IR interpreter (test support path, not Wasm)", () => {
  it.runIf(existsSync(dir))("runs every case and prints the table", () => {
    const cases = loadConformance(dir);
    type Row = { valuePass: number; valueFail: number; errorPass: number; errorFail: number; skipped: number };
    const table = new Map<string, Row>();
    const failures: string[] = [];
    for (const c of cases) {
      const row = table.get(c.folder) ?? { valuePass: 0, valueFail: 0, errorPass: 0, errorFail: 0, skipped: 0 };
      table.set(c.folder, row);
      if (c.skip) {
        row.skipped++;
        continue;
      }
      const reason = judge(c, () => {
        const compiled = compileRego(c.modules, c.query, c.regoVersion);
        return (input) => {
          const prints: string[] = [];
          const answers = evalCompiled(compiled, input, c.data, (l) => prints.push(l));
          return { answers, prints };
        };
      });
      const isError = c.expect.kind === "error";
      if (reason === undefined) isError ? row.errorPass++ : row.valuePass++;
      else {
        isError ? row.errorFail++ : row.valueFail++;
        failures.push(`${c.file} :: ${c.note}: ${reason}`);
      }
    }
    const lines = ["folder | value pass/fail | error pass/fail | skipped"];
    const total: Row = { valuePass: 0, valueFail: 0, errorPass: 0, errorFail: 0, skipped: 0 };
    for (const [folder, r] of [...table].sort()) {
      lines.push(`${folder} | ${r.valuePass}/${r.valueFail} | ${r.errorPass}/${r.errorFail} | ${r.skipped}`);
      for (const k of Object.keys(total) as Array<keyof Row>) total[k] += r[k];
    }
    lines.push(`TOTAL | ${total.valuePass}/${total.valueFail} | ${total.errorPass}/${total.errorFail} | ${total.skipped}`);
    console.log(`Conformance, INTERPRETER PATH (parser → compile → plan → test/support/ir-interpreter):\n${lines.join("\n")}`);
    if (process.env["CAPGATE_CONFORMANCE_VERBOSE"]) console.log(failures.join("\n"));
    expect(cases.length).toBeGreaterThan(0);
  });
  it.skipIf(existsSync(dir))("reports that the corpus is absent", () => {
    console.log(`conformance corpus not found at ${dir}: set CAPGATE_CONFORMANCE_DIR; not run`);
  });
});
