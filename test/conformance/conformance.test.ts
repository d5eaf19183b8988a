// The external Rego conformance suite (CAPGATE_CONFORMANCE_DIR, set by .ci/run
// to ../shared/conformance): every case compiled by capgate and evaluated
// through @open-policy-agent/opa-wasm. Prints per folder and in total the
// cases passed / failed / excluded, value- and error-expecting apart, and
// fails when fewer pass than the floor recorded in floor.yaml.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { readCaseFiles } from "./case-file.js";
import { formatReport, readExclusions, runFiles, tally, type Outcome } from "./runner.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const dir = process.env["CAPGATE_CONFORMANCE_DIR"];
const suiteRoot = dir ? join(dir, "regorus") : undefined;
const ready = suiteRoot !== undefined && existsSync(suiteRoot);

if (!ready) {
  console.log(
    dir
      ? `conformance suite did not run: ${suiteRoot} does not exist`
      : "conformance suite did not run: CAPGATE_CONFORMANCE_DIR is not set (.ci/run sets it to ../shared/conformance)",
  );
}

interface Floor {
  value_passed: number;
  error_passed: number;
}

describe.runIf(ready)("Rego conformance (regorus cases)", () => {
  const exclusions = readExclusions(join(here, "exclusions.yaml"));
  const floor = YAML.parse(readFileSync(join(here, "floor.yaml"), "utf8")) as Floor;
  const files = ready ? readCaseFiles(suiteRoot) : [];
  let outcomes: Outcome[] = [];

  it("runs every case and reports", async () => {
    outcomes = await runFiles(files, {
      // The suite is Rego v0 except binding/bindings.yaml (see its README).
      regoVersion: (file) => (file === "binding/bindings.yaml" ? 1 : 0),
      exclusions,
    });
    console.log(formatReport("Rego conformance: passed/failed/excluded", outcomes));
    if (process.env["CAPGATE_CONFORMANCE_VERBOSE"]) {
      for (const o of outcomes.filter((x) => x.status === "failed")) console.log(`FAIL ${o.file} :: ${o.note} :: ${o.detail}`);
    }
    expect(outcomes.length).toBeGreaterThan(0);
  });

  it("every exclusion names a case that exists", () => {
    const known = new Set(files.flatMap((f) => f.cases.map((c) => `${f.file}\u0000${c.note}`)));
    const stale = exclusions.filter((x) => !known.has(`${x.file}\u0000${x.note}`)).map((x) => `${x.file}: ${x.note}`);
    expect(stale).toEqual([]);
  });

  it("passes at least the recorded floor", () => {
    const t = tally(outcomes);
    expect(t.value.passed, "value-expecting cases passed").toBeGreaterThanOrEqual(floor.value_passed);
    expect(t.error.passed, "error-expecting cases passed").toBeGreaterThanOrEqual(floor.error_passed);
  });
});
