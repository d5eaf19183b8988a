// OPA's own evaluation cases (CAPGATE_CONFORMANCE_DIR/opa, topics g–z) through
// the conformance runner, judged as OPA's runner judges them (runOpaCase).
// Cases OPA's own Wasm target skips (wasm-exceptions.yaml) are n/a and listed
// with OPA's reason. Prints the per-topic table and fails below the floor
// recorded in floor.yaml.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { readOpaCaseFiles, readWasmExceptions } from "./opa-case-file.js";
import { formatReport, readExclusions, runOpaFiles, tally, type Outcome } from "./runner.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const dir = process.env["CAPGATE_CONFORMANCE_DIR"];
const suiteRoot = dir ? join(dir, "opa") : undefined;
const ready = suiteRoot !== undefined && existsSync(suiteRoot);

if (!ready) {
  console.log(dir ? `OPA conformance cases did not run: ${suiteRoot} does not exist` : "OPA conformance cases did not run: CAPGATE_CONFORMANCE_DIR is not set");
}

interface Floor {
  opa: { value_passed: number; error_passed: number };
}

describe.runIf(ready)("Rego conformance (OPA's cases)", () => {
  const root = suiteRoot ?? "";
  const exclusions = readExclusions(join(here, "exclusions.yaml"));
  const floor = YAML.parse(readFileSync(join(here, "floor.yaml"), "utf8")) as Floor;
  const files = ready ? readOpaCaseFiles(root) : [];
  const exceptions = ready ? readWasmExceptions(join(root, "wasm-exceptions.yaml")) : new Map<string, string>();
  let outcomes: Outcome[] = [];

  it("runs every case and reports", async () => {
    outcomes = await runOpaFiles(files, { exceptions, exclusions });
    console.log(formatReport("OPA conformance: passed/failed/excluded per topic", outcomes));
    const na = outcomes.filter((o) => o.status === "na");
    console.log(`n/a (OPA's Wasm target skips them too), ${na.length}:\n${na.map((o) => `  ${o.note}: ${o.detail}`).join("\n")}`);
    if (process.env["CAPGATE_CONFORMANCE_VERBOSE"]) {
      for (const o of outcomes.filter((x) => x.status === "failed")) console.log(`FAIL ${o.file} :: ${o.note} :: ${o.detail}`);
    }
    expect(outcomes.length).toBeGreaterThan(0);
  }, 900_000);

  it("passes at least the recorded floor", () => {
    const t = tally(outcomes);
    expect(t.value.passed, "value-expecting cases passed").toBeGreaterThanOrEqual(floor.opa.value_passed);
    expect(t.error.passed, "error-expecting cases passed").toBeGreaterThanOrEqual(floor.opa.error_passed);
  });
});
