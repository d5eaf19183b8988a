// `npm run fuzz`: the fuzz classes of test/fuzz/ run longer than CI runs them,
// with a fresh seed (or FUZZ_SEED), FUZZ_RUNS cases per HTTP class and ten
// times that per Rego parser class and for the bundle reader. Prints, per class, the cases tried and
// what they were answered, and any counterexample with the seed and path to
// replay it; exits 1 on a finding or an unhandled rejection.
import fc from "fast-check";
import { bundleFuzzTarget, damaged, readOutcome } from "../test/fuzz/bundle-cases.js";
import { HTTP_CLASSES, judge, send } from "../test/fuzz/http-cases.js";
import { startFuzzTarget } from "../test/fuzz/http-target.js";
import { buildOutcome, checkOutcome, loadCorpus, loadCorpusCases, mutatedCase, mutatedSource, parseOutcome, randomSource } from "../test/fuzz/rego-cases.js";

const seed = process.env["FUZZ_SEED"] !== undefined ? Number(process.env["FUZZ_SEED"]) : Math.floor(Math.random() * 2 ** 31);
const runs = Number(process.env["FUZZ_RUNS"] ?? 2000);

const stray: unknown[] = [];
process.on("unhandledRejection", (e) => void stray.push(e));
process.on("uncaughtException", (e) => void stray.push(e));

interface Tally {
  name: string;
  tried: number;
  outcomes: Map<string, number>;
  failure: string | null;
}
const tallies: Tally[] = [];

function tally(name: string): Tally {
  const t: Tally = { name, tried: 0, outcomes: new Map(), failure: null };
  tallies.push(t);
  return t;
}
const count = (t: Tally, outcome: string): void => void t.outcomes.set(outcome, (t.outcomes.get(outcome) ?? 0) + 1);

function report<T>(t: Tally, details: fc.RunDetails<T>): void {
  t.tried = details.numRuns;
  if (details.failed) {
    t.failure = `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n    replay: FUZZ_SEED=${details.seed} (path ${details.counterexamplePath}) counterexample ${JSON.stringify(details.counterexample).slice(0, 600)}`;
  }
  const outcomes = [...t.outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  process.stdout.write(`${t.name.padEnd(34)} ${String(t.tried).padStart(7)} cases  ${t.failure === null ? "ok" : "FAILED"}  (${outcomes})\n`);
  if (t.failure !== null) process.stdout.write(`    ${t.failure}\n`);
}

process.stdout.write(`fuzz: seed ${seed}, ${runs} cases per HTTP class, ${runs * 10} per parser class and for the bundle reader, ${runs} for the compiler passes and for whole builds\n`);

const corpus = loadCorpus();
for (const [name, arb, check, n] of [
  ["rego parser: random sources", fc.tuple(randomSource, fc.constantFrom(0 as const, 1 as const)).map(([text, v]) => ({ text, regoVersion: v })), parseOutcome, runs * 10],
  ["rego parser: mutated corpus", mutatedSource(corpus), parseOutcome, runs * 10],
  ["rego compile: mutated corpus", mutatedSource(corpus), checkOutcome, runs],
] as const) {
  const t = tally(name);
  const details = fc.check(
    fc.property(arb, (src) => {
      const r = check(src.text, src.regoVersion);
      count(t, r.wrong !== null ? "crash" : r.ok ? "accepted" : "refused");
      if (r.wrong !== null) throw new Error(r.wrong);
    }),
    { seed, numRuns: n },
  );
  report(t, details);
}

{
  const t = tally("rego build: mutated cases");
  const details = fc.check(
    fc.property(mutatedCase(loadCorpusCases()), (c) => {
      const r = buildOutcome(c);
      count(t, r.wrong !== null ? "crash" : r.ok ? "built" : "refused");
      if (r.wrong !== null) throw new Error(r.wrong);
    }),
    { seed, numRuns: runs },
  );
  report(t, details);
}

{
  const bundles = await bundleFuzzTarget();
  const t = tally("bundle reader: damaged signed");
  const details = await fc.check(
    fc.asyncProperty(damaged(bundles.tar), async (bytes) => {
      const r = await readOutcome(bundles, bytes);
      count(t, r.outcome);
      if (r.wrong !== null) throw new Error(r.wrong);
    }),
    { seed, numRuns: runs * 10 },
  );
  report(t, details);
  bundles.close();
}

const target = await startFuzzTarget(`fuzz_bench_${process.pid}`);
try {
  for (const { name, requests } of HTTP_CLASSES) {
    const t = tally(name);
    const details = await fc.check(
      fc.asyncProperty(requests, async (r) => {
        const answer = await send(target.url, r);
        if (answer === null) return void count(t, "unsendable");
        count(t, String(answer.status));
        const wrong = judge(r, answer);
        if (wrong !== null) throw new Error(`${r.method} ${r.path}: ${wrong}`);
      }),
      { seed, numRuns: runs },
    );
    report(t, details);
  }
  const health = await fetch(new URL("/health", target.url));
  if (health.status !== 200) stray.push(new Error(`/health answered ${health.status} after fuzzing`));
} finally {
  await target.close();
}

const total = tallies.reduce((s, t) => s + t.tried, 0);
const failed = tallies.filter((t) => t.failure !== null);
process.stdout.write(`total: ${total} cases in ${tallies.length} classes, ${failed.length} class(es) with a finding, ${stray.length} unhandled error(s)\n`);
for (const e of stray) process.stdout.write(`  unhandled: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
process.exit(failed.length > 0 || stray.length > 0 ? 1 : 0);
