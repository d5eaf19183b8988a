// Differential test of the two linkers: cases of the conformance corpus (regorus's
// and OPA's) compiled by the direct linker (the default, link-direct.ts) and by
// binaryen's (link-runtime.ts), both modules loaded through the SDK and evaluated
// on the case's data and input. The answers, the module's JSON text or the
// error's message, must be the same byte for byte, case by case, whatever the
// case expects. binaryen links a case in about 0.1 s, so a fixed sample runs by
// default (every CAPGATE_LINKER_SAMPLE-th case, default 6); 1 runs them all.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryenLinker, compilePolicy, type Linker } from "../../src/compiler/index.js";
import { instantiatePolicy } from "../../src/policy/runtime/index.js";
import { conformanceDir } from "../support/conformance-cases.js";
import { readCaseFiles } from "../conformance/case-file.js";
import { jsonText, type J } from "../conformance/json-values.js";
import { readOpaCaseFiles } from "../conformance/opa-case-file.js";
import { evaluateJsonText, setDataText } from "../conformance/typed-eval.js";

const dir = conformanceDir();
const ready = existsSync(join(dir, "regorus")) && existsSync(join(dir, "opa"));
if (!ready) console.log(`linker differential test did not run: no conformance corpus at ${dir} (set CAPGATE_CONFORMANCE_DIR)`);
const every = Math.max(1, Number(process.env["CAPGATE_LINKER_SAMPLE"] ?? 6));

interface Sample {
  key: string;
  modules: string[];
  query: string;
  regoVersion: 0 | 1;
  strict: boolean;
  dataText: string;
  inputTexts: Array<string | undefined>;
}

function samples(): Sample[] {
  const out: Sample[] = [];
  for (const f of readCaseFiles(join(dir, "regorus"))) {
    for (const c of f.cases) {
      const many = c.input as { "many!"?: unknown[] } | undefined;
      const inputs = many && typeof many === "object" && Array.isArray(many["many!"]) ? many["many!"] : [c.input];
      out.push({
        key: `regorus/${f.file} :: ${c.note}`,
        modules: c.modules ?? [],
        query: c.query,
        regoVersion: c.rego_version ?? (f.file === "binding/bindings.yaml" ? 1 : 0),
        strict: c.strict !== false,
        dataText: JSON.stringify(c.data ?? {}),
        inputTexts: inputs.map((i) => (i === undefined ? undefined : JSON.stringify(i))),
      });
    }
  }
  for (const f of readOpaCaseFiles(join(dir, "opa"))) {
    for (const c of f.cases) {
      out.push({
        key: `opa/${c.note}`,
        modules: c.modules,
        query: c.query,
        regoVersion: 1,
        strict: c.strict_error === true,
        dataText: jsonText(c.data ?? ({} as J)),
        inputTexts: [c.input_term ?? (c.input === undefined ? undefined : jsonText(c.input))],
      });
    }
  }
  return out.filter((_, i) => i % every === 0);
}

/** What one linker's module answers: compile error, load error, or each input's result text or error. */
async function answers(s: Sample, linker: Linker | undefined): Promise<string[]> {
  let wasm: Uint8Array;
  try {
    wasm = compilePolicy({
      sources: s.modules.map((text, i) => ({ file: `rego_${i}`, text })),
      entrypoints: [],
      queries: [{ name: "q", text: s.query }],
      regoVersion: s.regoVersion,
      strictBuiltinErrors: s.strict,
      ...(linker ? { linker } : {}),
    }).wasm;
  } catch (e) {
    return [`compile: ${(e as Error).message}`];
  }
  try {
    const inst = await instantiatePolicy(wasm);
    setDataText(inst, s.dataText);
    return s.inputTexts.map((input) => {
      try {
        return evaluateJsonText(inst, input, "q");
      } catch (e) {
        return `eval: ${(e as Error).message}`;
      }
    });
  } catch (e) {
    return [`load: ${(e as Error).message}`];
  }
}

describe.runIf(ready)("the direct and the binaryen linker", () => {
  it("give modules that answer the same on the conformance corpus", { timeout: 900_000 }, async () => {
    const binaryen = await binaryenLinker();
    const differ: string[] = [];
    let evaluated = 0;
    const list = samples();
    for (const s of list) {
      const direct = await answers(s, undefined);
      const viaBinaryen = await answers(s, binaryen);
      if (!direct[0]!.startsWith("compile: ")) evaluated++;
      if (JSON.stringify(direct) !== JSON.stringify(viaBinaryen)) differ.push(`${s.key}\n  direct:   ${direct.join(" | ")}\n  binaryen: ${viaBinaryen.join(" | ")}`);
    }
    console.log(`linkers: ${list.length} cases (every ${every}th), ${evaluated} compiled and evaluated both ways, ${differ.length} differ`);
    expect(differ).toEqual([]);
    // The sample must reach the linkers, not stop at the front end.
    expect(evaluated).toBeGreaterThan(list.length / 2);
  });
});
