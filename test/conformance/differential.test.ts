// Differential test of the back end: the conformance corpus through both paths
// that share the front end (parser → passes → planner): the reference IR
// interpreter (test/support/ir-interpreter.ts) and the product path (Wasm
// emitter and runtime, run by @open-policy-agent/opa-wasm). Both are judged
// against the case's expectation; a case the interpreter passes and the Wasm
// path fails points at the emitter or the runtime, since the plan was the same.
// The interpreter lacks many built-ins, so the other direction is expected.
// Both sides compare typed values (the Wasm side reads the module's Rego-syntax
// output), so sets and non-string keys are judged alike.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { conformanceDir, judge, loadConformance } from "../support/conformance-cases.js";
import { compileRego, evalCompiled } from "../support/rego-eval.js";
import { readCaseFiles } from "./case-file.js";
import { runFiles } from "./runner.js";

const dir = conformanceDir();
const ready = existsSync(join(dir, "regorus"));
if (!ready) console.log(`differential test did not run: no conformance corpus at ${dir} (set CAPGATE_CONFORMANCE_DIR)`);

describe.runIf(ready)("interpreter and Wasm agree on the conformance corpus", () => {
  it("passes through Wasm every case the interpreter passes", async () => {
    const outcomes = await runFiles(readCaseFiles(join(dir, "regorus")), {
      regoVersion: (file) => (file === "binding/bindings.yaml" ? 1 : 0),
    });
    // A file may hold two cases with one note: the n-th of them is "file :: note #n".
    const keyed = <T extends { file: string; note: string }>(xs: T[]): Array<[string, T]> => {
      const seen = new Map<string, number>();
      return xs.map((x) => {
        const base = `${x.file} :: ${x.note}`;
        const n = (seen.get(base) ?? 0) + 1;
        seen.set(base, n);
        return [n === 1 ? base : `${base} #${n}`, x];
      });
    };
    const wasm = new Map(keyed(outcomes));
    // The interpreter's loader reads YAML strictly; a file only the Wasm runner's
    // lenient reader understands stands as one "(whole file)" entry, left out here.
    const all = loadConformance(dir);
    const unreadable = all.filter((c) => c.loadError !== undefined).map((c) => c.file);
    const cases = keyed(all.filter((c) => c.loadError === undefined)).filter(([, c]) => !c.skip);
    const tally = { both: 0, interpreterOnly: 0, wasmOnly: 0, neither: 0 };
    const disagreements: string[] = [];
    for (const [key, c] of cases) {
      const interpreted = judge(c, () => {
        const compiled = compileRego(c.modules, c.query, c.regoVersion);
        return (input) => {
          const prints: string[] = [];
          return { answers: evalCompiled(compiled, input, c.data, (l) => prints.push(l)), prints };
        };
      });
      const w = wasm.get(key);
      expect(w, `the Wasm runner knows ${key}`).toBeDefined();
      const interpreterPassed = interpreted === undefined;
      const wasmPassed = w!.status === "passed";
      if (interpreterPassed && wasmPassed) tally.both++;
      else if (wasmPassed) tally.wasmOnly++;
      else if (!interpreterPassed) tally.neither++;
      else {
        tally.interpreterOnly++;
        disagreements.push(`${key}: Wasm ${w!.status}: ${w!.detail ?? ""}`);
      }
    }
    console.log(
      `differential (${cases.length} cases): both passed ${tally.both}, Wasm only ${tally.wasmOnly}, ` +
        `interpreter only ${tally.interpreterOnly}, neither ${tally.neither}; ` +
        `not read by the interpreter's loader: ${unreadable.join(", ") || "none"}`,
    );
    expect(disagreements).toEqual([]);
  }, 900_000);
});
