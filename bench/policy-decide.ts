// `npx tsx bench/policy-decide.ts`: the cost of one policy evaluation of the
// sidecar's realistic traffic (bench/decide-realistic.ts's mix: token.issue 50 %,
// token.validate 25 %, mfa.requirement 25 %), from the policy input's JSON text
// to the result's JSON text, without HTTP, facts or the decision log around it.
// The inputs are the sidecar's own: a sidecar in this process serves the mix on
// the realistic replica and every (entrypoint, input) its engine is asked is
// recorded (once; kept in --inputs, default /tmp/capgate-policy-inputs.jsonl).
// Then policies/ is compiled by the compiler of each --roots checkout (default:
// this one; e.g. `--roots /work/baseline,.` for before and after in one run) and
// each module evaluates the recorded inputs, the roots taking turns for --rounds
// rounds. Reported per root and decision kind: CPU µs per evaluation through
// evaluatePolicy (what the engine calls), and its split measured with the
// module's ABI exports: writing the input text, opa_json_parse, eval, opa_json_dump,
// reading and JSON.parse of the result, and the host built-in calls made.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { arg } from "./args.js";

const ROUNDS = arg("rounds", 5);
const RECORD = arg("record", 30_000);
const option = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const INPUTS = option("inputs", "/tmp/capgate-policy-inputs.jsonl");
const ROOTS = option("roots", ".")
  .split(",")
  .map((r) => resolve(r));

interface Recorded {
  entrypoint: string;
  input: string;
}

/** Serves RECORD decisions of the realistic mix in-process and records what the engine evaluates. */
async function record(file: string): Promise<void> {
  const { buildReplica, buildTestBundle, createTestPrimary, tempDir } = await import("../test/server/helpers.js");
  const { enlargeReplica, signTokens, requestStream } = await import("./decide-realistic.js");
  const { startServer } = await import("../src/server/server.js");
  const { loadConfig } = await import("../src/server/config.js");
  const { DECISIONS } = await import("../src/server/decide/index.js");
  const { Engine } = await import("../src/policy/runtime/engine.js");
  const tmp = tempDir("capgate-bench-policy-");
  try {
    process.stderr.write("recording inputs: demo replica, bundle, tokens ...\n");
    const db = await createTestPrimary("benchpolicy");
    await buildReplica(db.primary, tmp.dir).finally(() => db.drop());
    await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "bench");
    enlargeReplica(join(tmp.dir, "replica.db"));
    const next = requestStream(await signTokens(tmp.dir), 3);
    const out: Recorded[] = [];
    const decide = Engine.prototype.decide;
    Engine.prototype.decide = function (entrypoint, input, deadline) {
      out.push({ entrypoint, input });
      return decide.call(this, entrypoint, input, deadline);
    };
    const flags = {
      port: 0,
      log_level: "warn",
      watch: false,
      replica: join(tmp.dir, "replica.db"),
      bundle: join(tmp.dir, "policy.tar.gz"),
      max_staleness_seconds: 86_400,
      replica_integrity_check_seconds: 0,
      decision_log: join(tmp.dir, "decisions.log"),
      jwt: { jwks_file: join(tmp.dir, "jwks.json") },
    };
    const server = await startServer({ config: loadConfig({ flags }) });
    try {
      const specs = new Map(DECISIONS.map((d) => [d.name, d]));
      for (let i = 0; i < RECORD; i++) {
        const r = next();
        await server.decider.decide({ spec: specs.get(r.decision)!, input: r.input });
      }
    } finally {
      await server.close();
    }
    writeFileSync(file, out.map((r) => JSON.stringify(r)).join("\n") + "\n");
    process.stderr.write(`  ${out.length} inputs recorded in ${file}\n`);
  } finally {
    tmp.remove();
  }
}

interface Exports {
  opa_eval: (...a: number[]) => number;
  opa_heap_ptr_set: (p: number) => void;
  opa_json_parse: (addr: number, len: number) => number;
  opa_eval_ctx_new: () => number;
  opa_eval_ctx_set_input: (ctx: number, v: number) => void;
  opa_eval_ctx_set_data: (ctx: number, v: number) => void;
  opa_eval_ctx_set_entrypoint: (ctx: number, id: number) => void;
  opa_eval_ctx_get_result: (ctx: number) => number;
  opa_json_dump: (v: number) => number;
  eval: (ctx: number) => number;
}

interface Subject {
  root: string;
  evaluate: (input: string, entrypoint: string) => unknown;
  ex: Exports;
  mem: { buffer: ArrayBuffer };
  dataAddr: number;
  heap: number;
  ids: Record<string, number>;
  hostCalls: Map<string, number>;
}

/** Compiles policies/ with `root`'s compiler and loads it with `root`'s policy runtime. */
async function subject(root: string): Promise<Subject> {
  const imp = (p: string): Promise<Record<string, unknown>> =>
    import(pathToFileURL(join(root, p)).href) as Promise<Record<string, unknown>>;
  const compiler = (await imp("src/compiler/index.ts")) as unknown as typeof import("../src/compiler/index.js");
  const runtime = (await imp(
    "src/policy/runtime/index.ts",
  )) as unknown as typeof import("../src/policy/runtime/index.js");
  const sourcesMod = (await imp(
    "src/policy/tools/sources.ts",
  )) as unknown as typeof import("../src/policy/tools/sources.js");
  const host = (await imp(
    "src/policy/host-builtins/index.ts",
  )) as unknown as typeof import("../src/policy/host-builtins/index.js");
  // Every host built-in counted, so the report says which calls cross to JavaScript.
  const hostCalls = new Map<string, number>();
  for (const b of host.hostBuiltins.values()) {
    const impl = b.impl;
    (b as { impl: typeof impl }).impl = (args, ctx) => {
      hostCalls.set(b.name, (hostCalls.get(b.name) ?? 0) + 1);
      return impl(args, ctx);
    };
  }
  const sources = sourcesMod.readSources([join(root, "policies")]).filter((s) => !s.file.endsWith("_test.rego"));
  const entrypoints = ["capgate/token/issue", "capgate/token/validate", "capgate/mfa/requirement"];
  const { wasm } = compiler.compilePolicy({ sources, entrypoints });
  const inst = await runtime.instantiatePolicy(wasm);
  const p = inst.policy as unknown as {
    wasmInstance: { exports: Exports };
    mem: { buffer: ArrayBuffer };
    dataAddr: number;
    dataHeapPtr: number;
    entrypoints: Record<string, number>;
  };
  // The clock of the recording, so the recorded tokens are as fresh as they were then.
  const nowNs = BigInt(Math.floor(statSync(INPUTS).mtimeMs)) * 1_000_000n;
  return {
    root,
    evaluate: (input, entrypoint) =>
      runtime.evaluatePolicy(inst, new runtime.JsonText(input), entrypoint, { nowNs, deadline: Infinity }),
    ex: p.wasmInstance.exports,
    mem: p.mem,
    dataAddr: p.dataAddr,
    heap: p.dataHeapPtr,
    ids: p.entrypoints,
    hostCalls,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** CPU µs of `f` over every input, per input, best of three passes. */
function cpuPer(inputs: Recorded[], f: (r: Recorded) => void): number {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = process.cpuUsage();
    for (const r of inputs) f(r);
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / inputs.length);
  }
  return best;
}

type Split = Record<"evaluatePolicy" | "write" | "parse" | "eval" | "dump" | "read+JSON.parse", number>;

/** The split of one kind's evaluations, each phase as the difference of cumulative prefixes. */
function measure(s: Subject, inputs: Recorded[]): Split {
  const { ex, mem } = s;
  const write = (r: Recorded): number =>
    encoder.encodeInto(r.input, new Uint8Array(mem.buffer, s.heap, r.input.length * 3)).written;
  const parse = (r: Recorded): number => {
    ex.opa_heap_ptr_set(s.heap);
    const n = write(r);
    ex.opa_heap_ptr_set(s.heap + n);
    return ex.opa_json_parse(s.heap, n);
  };
  const evaluate = (r: Recorded): number => {
    const input = parse(r);
    const ctx = ex.opa_eval_ctx_new();
    ex.opa_eval_ctx_set_input(ctx, input);
    ex.opa_eval_ctx_set_data(ctx, s.dataAddr);
    ex.opa_eval_ctx_set_entrypoint(ctx, s.ids[r.entrypoint]!);
    ex.eval(ctx);
    return ex.opa_eval_ctx_get_result(ctx);
  };
  const dump = (r: Recorded): number => ex.opa_json_dump(evaluate(r));
  const read = (r: Recorded): unknown => {
    const n = write(r);
    const at = ex.opa_eval(0, s.ids[r.entrypoint]!, s.dataAddr, s.heap, n, s.heap + n, 0);
    const buf = new Uint8Array(mem.buffer);
    return JSON.parse(decoder.decode(buf.subarray(at, buf.indexOf(0, at))));
  };
  const full = cpuPer(inputs, (r) => s.evaluate(r.input, r.entrypoint));
  const w = cpuPer(inputs, write);
  const p = cpuPer(inputs, parse);
  const e = cpuPer(inputs, evaluate);
  const d = cpuPer(inputs, dump);
  const rd = cpuPer(inputs, read);
  return { evaluatePolicy: full, write: w, parse: p - w, eval: e - p, dump: d - e, "read+JSON.parse": rd - d };
}

async function main(): Promise<void> {
  if (!existsSync(INPUTS)) await record(INPUTS);
  const recorded = readFileSync(INPUTS, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Recorded);
  const kinds = [...new Set(recorded.map((r) => r.entrypoint))].sort();
  const subjects: Subject[] = [];
  for (const root of ROOTS) subjects.push(await subject(root));
  // Every subject answers every input the same before anything is timed.
  for (const r of recorded) {
    const answers = subjects.map((s) => JSON.stringify(s.evaluate(r.input, r.entrypoint)));
    if (answers.some((a) => a !== answers[0]))
      throw new Error(`roots disagree on ${r.entrypoint} ${r.input}: ${answers.join(" vs ")}`);
  }
  const hostCalls = subjects.map((s) => {
    s.hostCalls.clear();
    for (const r of recorded) s.evaluate(r.input, r.entrypoint);
    return [...s.hostCalls].map(([n, c]) => `${n} ${(c / recorded.length).toFixed(2)}`).join(", ");
  });
  const results = new Map<string, Split[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of subjects) {
      for (const k of kinds) {
        const key = `${s.root}\t${k}`;
        results.set(key, [
          ...(results.get(key) ?? []),
          measure(
            s,
            recorded.filter((r) => r.entrypoint === k),
          ),
        ]);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `${recorded.length} recorded inputs; CPU µs per evaluation, median of ${ROUNDS} rounds (each the best of 3 passes)`,
  );
  for (const [i, s] of subjects.entries()) {
    console.log(`\n${s.root}`);
    console.log(`  host built-in calls per evaluation (mix): ${hostCalls[i] || "none"}`);
    const cols = Object.keys(results.values().next().value![0]!) as Array<keyof Split>;
    console.log(`  ${"entrypoint".padEnd(26)}${cols.map((c) => c.padStart(16)).join("")}`);
    let mix = 0;
    const weight: Record<string, number> = {
      "capgate/token/issue": 0.5,
      "capgate/token/validate": 0.25,
      "capgate/mfa/requirement": 0.25,
    };
    for (const k of kinds) {
      const rows = results.get(`${s.root}\t${k}`)!;
      const m = cols.map((c) => median(rows.map((r) => r[c])));
      mix += (weight[k] ?? 0) * m[0]!;
      console.log(`  ${k.padEnd(26)}${m.map((v) => v.toFixed(2).padStart(16)).join("")}`);
    }
    console.log(`  mix (50/25/25) evaluatePolicy: ${mix.toFixed(2)} µs`);
  }
}

await main();
