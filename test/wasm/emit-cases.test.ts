// Runs the data-driven emitter cases under test/cases/wasm/: each case's IR (in the
// compact form of ir-builder.ts) is emitted, loaded with the real
// @open-policy-agent/opa-wasm SDK and evaluated; the result set or error must match.
import { readFileSync } from "node:fs";
import { yamlFiles } from "../support/case-files.js";
import { join, relative } from "node:path";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { emit, type EmitOptions } from "../../src/compiler/wasm/index.js";
import { buildPolicy, type PolicyLike } from "./ir-builder.js";

const CASES_DIR = join(import.meta.dirname, "..", "cases", "wasm");

interface Run {
  entrypoint?: string;
  input?: unknown;
  data?: unknown;
  want?: unknown[];
  want_error?: string;
  /** Lines print() must have written (through the SDK's opa_println). */
  want_prints?: string[];
}

interface Case extends Run {
  note: string;
  options?: EmitOptions;
  policy: PolicyLike;
  runs?: Run[];
}

/** Host built-ins the cases may call, supplied to loadPolicy as custom built-ins. */
const HOST_BUILTINS: Record<string, (...args: never[]) => unknown> = {
  "test.double": (n: number) => n * 2,
  "test.zero": () => "zero",
  "test.join3": (a: string, b: string, c: string) => `${a}-${b}-${c}`,
  "test.null": () => null,
  "test.undefined": () => undefined,
};

for (const file of yamlFiles(CASES_DIR)) {
  const { cases } = parse(readFileSync(file, "utf8")) as { cases: Case[] };
  describe(relative(CASES_DIR, file), () => {
    for (const c of cases) {
      it(c.note, async () => {
        const wasm = emit(buildPolicy(c.policy), { ...c.options, validate: true });
        const policy = await loadPolicy(wasm, undefined, HOST_BUILTINS);
        const runs: Run[] = c.runs ?? [c];
        for (const run of runs) {
          const entrypoint = run.entrypoint ?? c.entrypoint ?? Object.keys(c.policy.plans)[0]!;
          if (run.data !== undefined || c.data !== undefined) policy.setData((run.data ?? c.data) as object);
          const input = run.input ?? c.input;
          const prints: string[] = [];
          const evaluate = () => withPrints(prints, () => policy.evaluate(input, entrypoint));
          const wantError = run.want_error ?? c.want_error;
          if (wantError !== undefined) {
            expect(thrownText(evaluate)).toContain(wantError);
          } else {
            expect(evaluate(), `${entrypoint} with input ${JSON.stringify(input)}`).toEqual(run.want ?? c.want);
          }
          const wantPrints = run.want_prints ?? c.want_prints;
          if (wantPrints !== undefined) expect(prints).toEqual(wantPrints);
        }
      });
    }
  });
}

/** The SDK prints through console.log; collect those lines while `f` runs. */
function withPrints<T>(lines: string[], f: () => T): T {
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    return f();
  } finally {
    console.log = log;
  }
}

/** The SDK throws the abort message as a plain string; returns its text. */
function thrownText(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("expected an error, the evaluation succeeded");
}
