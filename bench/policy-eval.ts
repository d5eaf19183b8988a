// `npm run bench:eval`: CPU time of `capgate policy eval` on a small policy (the
// issue's comprehension example), from start to exit, beside a floor measured
// in the same run (`node -e 0`): cold (module cache off, so the compiler loads,
// plans and links, with the direct linker: no binaryen) and warm (the module comes
// from the cache). Beside them, the same compilation and evaluation in one bare
// process through each linker (dist/compiler and dist/policy/runtime, no CLI), so
// binaryen's cost shows in the same run. Median and p99 of --runs runs each
// (default 10); target: under 0.5 s of CPU. Before the direct linker: 1208 / 310 /
// 54 ms (cold / cached / floor).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/capgate.js", import.meta.url));
const dist = new URL("../dist/", import.meta.url).href;
const preload = fileURLToPath(new URL("./cpu-at-exit.mjs", import.meta.url));
const i = process.argv.indexOf("--runs");
const runs = i >= 0 ? Number(process.argv[i + 1]) : 10;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Runs node with the CPU preload; answers the child's own CPU time in ms. */
async function cpu(args: string[], env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, ["--import", preload, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const m = /CPU_US (\d+)/.exec(err);
  if (code !== 0 || !m) throw new Error(`node ${args.join(" ")} exited ${code}: ${err.slice(0, 300)}`);
  return Number(m[1]) / 1000;
}

const REGO = "package framework\n\nf(x) if x > 1\n\np := [y | some y in input.xs; f(y)]\n";
const dir = mkdtempSync(join(tmpdir(), "capgate-bench-eval-"));
try {
  writeFileSync(join(dir, "a.rego"), REGO);
  writeFileSync(join(dir, "in.json"), '{"xs": [1, 2, 3]}');
  const evalArgs = [bin, "policy", "eval", "-q", "data.framework.p", "--input", join(dir, "in.json"), join(dir, "a.rego")];
  const cache = join(dir, "cache");
  // compile and evaluate the policy in a bare process, with the linker named in argv
  const bare = [
    "--input-type=module",
    "-e",
    `const [c, r] = await Promise.all([import("${dist}compiler/index.js"), import("${dist}policy/runtime/index.js")]);
     const linker = process.argv[1] === "binaryen" ? await c.binaryenLinker() : undefined;
     const { wasm } = c.compilePolicy({ sources: [{ file: "a.rego", text: ${JSON.stringify(REGO)} }], entrypoints: ["framework/p"], ...(linker ? { linker } : {}) });
     const inst = await r.instantiatePolicy(wasm, {});
     if (JSON.stringify(r.evaluatePolicy(inst, { xs: [1, 2, 3] }, "framework/p")) !== '[{"result":[2,3]}]') throw new Error("wrong answer");`,
  ];
  const series: Record<string, number[]> = {
    "node -e 0 (floor)": [],
    "policy eval, cold (no cache)": [],
    "policy eval, cached module": [],
    "bare compile+eval, direct linker": [],
    "bare compile+eval, binaryen": [],
  };
  await cpu(evalArgs, { CAPGATE_CACHE_DIR: cache });
  for (let r = 0; r < runs; r++) {
    series["node -e 0 (floor)"]!.push(await cpu(["-e", "0"], {}));
    series["policy eval, cold (no cache)"]!.push(await cpu(evalArgs, { CAPGATE_CACHE_DIR: "off" }));
    series["policy eval, cached module"]!.push(await cpu(evalArgs, { CAPGATE_CACHE_DIR: cache }));
    series["bare compile+eval, direct linker"]!.push(await cpu([...bare, "direct"], {}));
    series["bare compile+eval, binaryen"]!.push(await cpu([...bare, "binaryen"], {}));
  }
  console.log(`CPU per process, ${runs} runs each (ms)`);
  for (const [name, xs] of Object.entries(series)) {
    console.log(`${name.padEnd(34)} median ${quantile(xs, 0.5).toFixed(0).padStart(5)}  p99 ${quantile(xs, 0.99).toFixed(0).padStart(5)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
