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
import { NONE } from "../../src/compiler/wasm/link-api.js";
import { DirectRuntime } from "../../src/compiler/wasm/link-direct.js";
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

/** The Wasm API this test calls (the project's TypeScript libs do not declare it). */
interface Wasm {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, (...a: number[]) => number> } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/** Evaluates entrypoint 0 through opa_eval on a bare instance, with `env` holding every import. */
async function evalBare(wasm: Uint8Array, dataJson: string, inputJson: string): Promise<string> {
  const memory = new wasmApi.Memory({ initial: 2 });
  const fail = () => {
    throw new Error("unexpected host call");
  };
  const env: Record<string, unknown> = { memory, capgate_test_extra: fail, opa_abort: fail, opa_println: fail };
  for (let n = 0; n <= 4; n++) env[`opa_builtin${n}`] = fail;
  const ex = (await wasmApi.instantiate(wasm, { env })).instance.exports;
  const put = (text: string, at?: number): [number, number] => {
    const b = new TextEncoder().encode(text);
    const addr = at ?? ex["opa_malloc"]!(b.length);
    new Uint8Array(memory.buffer).set(b, addr);
    return [addr, b.length];
  };
  const data = ex["opa_json_parse"]!(...put(dataJson));
  const [input, len] = put(inputJson, ex["opa_heap_ptr_get"]!());
  const out = ex["opa_eval"]!(0, 0, data, input, len, input + len, 0);
  const bytes = new Uint8Array(memory.buffer);
  return new TextDecoder().decode(bytes.subarray(out, bytes.indexOf(0, out)));
}

describe("the direct linker", () => {
  it("moves every runtime function index when an import is added in front of them", async () => {
    // An import the runtime lacks comes before its own functions, so each call,
    // export, element and start index of the runtime must move by one.
    const shifting: Linker = (runtime) => {
      const rt = new DirectRuntime(runtime);
      rt.importFunc("env", "capgate_test_extra", [], NONE);
      return rt;
    };
    const rego = `package t
users := {u.name: u | some u in input.users}
admins contains name if {
  some name, u in users
  u.role == "admin"
}
report := {"admins": concat(",", sort(admins)), "users": count(users), "upper": upper(concat("", [n | some n in admins]))}
`;
    const compile = (linker?: Linker) =>
      compilePolicy({ sources: [{ file: "t.rego", text: rego }], entrypoints: ["t/report"], ...(linker ? { linker } : {}) }).wasm;
    const plain = compile();
    const shifted = compile(shifting);
    expect(shifted.length).toBeGreaterThan(plain.length);
    const input = '{"users": [{"name": "bob", "role": "dev"}, {"name": "alice", "role": "admin"}, {"name": "carol", "role": "admin"}]}';
    expect(await evalBare(shifted, "{}", input)).toBe('[{"result":{"admins":"alice,carol","upper":"ALICECAROL","users":3}}]');
    expect(await evalBare(plain, "{}", input)).toBe('[{"result":{"admins":"alice,carol","upper":"ALICECAROL","users":3}}]');
  });
});
