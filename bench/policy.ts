// `npm run bench:policy`: how fast capgate's compiler is and how fast its
// modules answer through the unmodified @open-policy-agent/opa-wasm SDK.
//  1. compile time of policies/ and of the largest conformance module
//     (first compile in the process, which loads binaryen, then the median of
//     the following ones);
//  2. median and p99 of evaluate() for a small entrypoint, against the floor
//     measured in the same run: the same SDK calls on a module whose
//     entrypoint is the constant `true` (what JSON in, JSON out and the call
//     itself cost), and the ratio;
//  3. module sizes.
// Options: --compiles N (default 10), --iterations N (default 20000).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { compilePolicy, type PolicySource } from "../src/compiler/index.js";
import { readSources } from "../src/policy/tools/sources.js";
import { evaluatePolicy, instantiatePolicy } from "../src/policy/runtime/index.js";
import { arg } from "./args.js";

const root = fileURLToPath(new URL("..", import.meta.url));

const COMPILES = arg("compiles", 10);
const ITERATIONS = arg("iterations", 20_000);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

function lines(sources: PolicySource[]): number {
  return sources.reduce((n, s) => n + s.text.split("\n").length, 0);
}

/** Times `compile` once cold, then COMPILES more times; returns ms figures and the last module. */
function timeCompile(compile: () => Uint8Array): { firstMs: number; median: number; p99: number; size: number } {
  let t = performance.now();
  let wasm = compile();
  const firstMs = performance.now() - t;
  const samples: number[] = [];
  for (let i = 0; i < COMPILES; i++) {
    t = performance.now();
    wasm = compile();
    samples.push(performance.now() - t);
  }
  return { firstMs, ...summary(samples), size: wasm.byteLength };
}

/** The biggest module (by text) among the conformance cases, with its case's modules and query. */
function largestConformanceCase(): { note: string; sources: PolicySource[]; query: string } | undefined {
  const dir = process.env["CAPGATE_CONFORMANCE_DIR"] ?? join(root, "..", "shared", "conformance");
  let files: string[];
  try {
    files = collectYaml(join(dir, "regorus"));
  } catch {
    return undefined;
  }
  let best: { note: string; sources: PolicySource[]; query: string; size: number } | undefined;
  for (const file of files) {
    const doc = parseDocument(readFileSync(file, "utf8"), { strict: false }).toJS() as {
      cases?: Array<{ note?: string; modules?: string[]; query?: string; error?: unknown; skip?: boolean }>;
    };
    for (const c of doc.cases ?? []) {
      if (c.error !== undefined || c.skip || !c.modules || !c.query) continue;
      const size = Math.max(...c.modules.map((m) => m.length));
      if (!best || size > best.size) {
        const sources = c.modules.map((text, i) => ({ file: `${c.note ?? "case"}-${i}.rego`, text }));
        best = { note: `${file.slice(dir.length + 1)}: ${c.note}`, sources, query: c.query, size };
      }
    }
  }
  return best;
}

function collectYaml(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(dir, f));
}

async function timeEvaluate(wasm: Uint8Array, entrypoint: string, input: unknown): Promise<{ median: number; p99: number }> {
  const inst = await instantiatePolicy(wasm);
  for (let i = 0; i < 1000; i++) evaluatePolicy(inst, input, entrypoint);
  const samples = new Array<number>(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now();
    evaluatePolicy(inst, input, entrypoint);
    samples[i] = performance.now() - t;
  }
  return summary(samples);
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const msf = (ms: number): string => `${ms.toFixed(1)} ms`;

const policies = readSources([join(root, "policies")]).filter((s) => !s.file.endsWith("_test.rego"));
const pc = timeCompile(() => compilePolicy({ sources: policies }).wasm);
console.log(`compile policies/ (${policies.length} files, ${lines(policies)} lines): first ${msf(pc.firstMs)}, then median ${msf(pc.median)}, p99 ${msf(pc.p99)}; module ${(pc.size / 1024).toFixed(1)} KiB`);

const big = largestConformanceCase();
if (big) {
  const bc = timeCompile(() => compilePolicy({ sources: big.sources, regoVersion: 0, queries: [{ name: "q", text: big.query }] }).wasm);
  console.log(`compile largest conformance module (${big.note}, ${lines(big.sources)} lines): median ${msf(bc.median)}, p99 ${msf(bc.p99)}; module ${(bc.size / 1024).toFixed(1)} KiB`);
} else {
  console.log("compile largest conformance module: skipped, no conformance folder (set CAPGATE_CONFORMANCE_DIR)");
}

const small: PolicySource = {
  file: "bench.rego",
  text: 'package bench\n\ndefault allow := false\n\nallow if {\n\tinput.user.role == "admin"\n\tinput.action in {"read", "write"}\n}\n',
};
const floor: PolicySource = { file: "floor.rego", text: "package floor\n\nyes := true\n" };
const input = { user: { name: "alice", role: "admin" }, action: "read" };
const smallWasm = compilePolicy({ sources: [small], entrypoints: ["bench/allow"] }).wasm;
const floorWasm = compilePolicy({ sources: [floor], entrypoints: ["floor/yes"] }).wasm;
const floorT = await timeEvaluate(floorWasm, "floor/yes", input);
const smallT = await timeEvaluate(smallWasm, "bench/allow", input);
console.log(`evaluate() floor (constant entrypoint, same input): median ${us(floorT.median)}, p99 ${us(floorT.p99)}`);
console.log(`evaluate() small entrypoint bench/allow: median ${us(smallT.median)}, p99 ${us(smallT.p99)}; ratio to floor ${(smallT.median / floorT.median).toFixed(2)}`);

const issueWasm = compilePolicy({ sources: policies }).wasm;
const issueInput = {
  request: { tenant_id: "acme", user_id: "u-alice", token_type: "access", requested_ttl_seconds: 5000, auth: { methods: ["pwd", "totp"] } },
  tenant: { id: "acme", capabilities: { max_token_ttl: { seconds: 900 }, mfa: { required: true } }, features: { mfa: true } },
  user: { id: "u-alice", tenant_id: "acme", capabilities: { mfa: { status: "enrolled" }, totp: { status: "enrolled" } } },
  defaults: { max_token_ttl: { seconds: 3600 }, mfa: { required: false } },
};
const issueT = await timeEvaluate(issueWasm, "capgate/token/issue", issueInput);
console.log(`evaluate() capgate/token/issue: median ${us(issueT.median)}, p99 ${us(issueT.p99)}`);
console.log(`module sizes: bench ${(smallWasm.byteLength / 1024).toFixed(1)} KiB, policies/ ${(issueWasm.byteLength / 1024).toFixed(1)} KiB`);
console.log(`targets: compile of a few hundred lines < 1000 ms (${pc.median < 1000 ? "met" : "missed"}); median evaluate() < 20 µs (${smallT.median < 0.02 ? "met" : "missed"})`);
