// `npm run bench:startup`: how long capgate takes to start, and how much memory
// the quickstart's sidecar holds, beside a floor measured in the same run.
//  1. start-up: `node -e 0` (the floor: starting Node itself), `capgate
//     --help`, and `capgate serve` until it listens (its "capgate serving on"
//     line, printed once the policy is loaded and the replica open; each run's
//     /ready is then asked, outside the clock, and must say ready), both from
//     the serve bundle (what bin/capgate.js runs) and from dist/'s modules
//     (CAPGATE_SERVE_BUNDLE=off), each run --runs times in turn, median and
//     p99, and each median's ratio to the floor's (target: within 2x);
//     beside them the stack's own floor (bench/startup-stack-floor.mjs: a
//     one-route Hono app on @hono/node-server, no capgate code), which shows
//     how much of the target the mandated HTTP stack takes before capgate starts;
//  2. memory: `capgate quickstart` in a temporary directory, the resident set
//     of its sidecar process (and, for comparison, of the quickstart's own
//     process holding PGlite and the compiler) once ready and again after
//     --requests decisions (target: the sidecar under 250 MB).
// The bundle and replica `serve` starts from are the ones that quickstart run
// builds. Options: --runs N (default 15), --requests N (default 2000),
// --baseline PATH (another checkout's bin/capgate.js, built: its --help and
// serve are measured in the same turns, so a change is compared under the same load).
// With NODE_EXTRA_CA_CERTS set, Node parses that file at every start, before any
// script (~33 ms of CPU for the floor on the machine this was written on, more than
// Node's own start): the floor and serve are then also timed without it, so that
// the ratio is also given for a start that pays only for Node and capgate.
// Wall time on a shared machine is as noisy as its load; CPU time is printed
// too (all threads, user+sys): serve's read from /proc when it says it serves,
// the floor's from process.cpuUsage() at the end of a `node -e` that prints it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { arg } from "./args.js";

const bin = fileURLToPath(new URL("../bin/capgate.js", import.meta.url));
const stackFloor = fileURLToPath(new URL("./startup-stack-floor.mjs", import.meta.url));

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Runs a process to its end; answers the wall time in ms. */
async function timed(args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: "ignore", ...(env === undefined ? {} : { env }) });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited ${code}`);
  return performance.now() - t0;
}

/** CPU time (ms, all threads, user+sys) a running process has used so far, from /proc. */
function cpuMsOf(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`))
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  return ns / 1e6;
}

/** The floor's CPU time: a `node -e` that only prints its own process.cpuUsage() as it ends. */
async function floorCpuMs(env?: NodeJS.ProcessEnv): Promise<number> {
  const code = "const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000))";
  const child = spawn(process.execPath, ["-e", code], {
    stdio: ["ignore", "pipe", "ignore"],
    ...(env === undefined ? {} : { env }),
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (exit !== 0) throw new Error(`node -e (floor CPU) exited ${exit}`);
  return Number(out);
}

/** Starts a process and resolves when `ready` matches its output: the time taken, its CPU time by then, and the process. */
async function until(
  args: string[],
  ready: RegExp,
  cwd?: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ ms: number; cpuMs: number; child: ChildProcess; output: () => string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd === undefined ? {} : { cwd }),
    ...(env === undefined ? {} : { env }),
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const look = (d: Buffer): void => {
      output += d.toString();
      if (ready.test(output))
        resolve({ ms: performance.now() - t0, cpuMs: cpuMsOf(child.pid!), child, output: () => output });
    };
    child.stdout!.on("data", look);
    child.stderr!.on("data", look);
    child.once("close", (code) =>
      reject(new Error(`node ${args.join(" ")} exited ${code} before it was ready:\n${output}`)),
    );
  });
}

async function stop(child: ChildProcess, sig: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once("close", resolve));
  child.kill(sig);
  await closed;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}

const fmt = (ms: number): string => `${ms.toFixed(0).padStart(5)} ms`;

/** `capgate serve` until it says it serves; the clock stopped, its /ready must answer ready (policy loaded, replica open). */
async function serveOnce(args: string[], env?: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number }> {
  const s = await until(args, /capgate serving on/, undefined, env);
  try {
    const url = /capgate serving on (http:\/\/\S+)/.exec(s.output())![1]!;
    const res = await fetch(`${url}/ready`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`capgate serve said it serves, but /ready answered ${res.status}: ${body}`);
  } finally {
    await stop(s.child);
  }
  return { ms: s.ms, cpuMs: s.cpuMs };
}

async function main(): Promise<void> {
  const runs = arg("runs", 15);
  const requests = arg("requests", 2000);
  const dir = mkdtempSync(join(tmpdir(), "capgate-bench-startup-"));
  try {
    // The quickstart first: it builds the bundle and replica `serve` starts from.
    const qs = await until([bin, "quickstart", "--port", "0", "--dir", join(dir, "state")], /\/mfa\/totp\/verify/, dir);
    const url = /ready on (http:\/\/\S+)/.exec(qs.output())![1]!;
    const sidecar = childrenOf(qs.child.pid!)[0]!;
    const atReady = { sidecar: rssMb(sidecar), quickstart: rssMb(qs.child.pid!) };
    const body = JSON.stringify({
      decision: "token.issue",
      input: { tenant_id: "acme", user_id: "u-bob", token_type: "access", auth: { methods: ["pwd"] } },
    });
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`${url}/decide`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await res.text();
    }
    const afterLoad = { sidecar: rssMb(sidecar), quickstart: rssMb(qs.child.pid!) };
    await stop(qs.child, "SIGINT");

    const state = join(dir, "state");
    const baseline = textArg("baseline");
    const serveArgs = (capgate: string): string[] => [
      capgate,
      "serve",
      "--bundle",
      join(state, "bundle.tar.gz"),
      "--replica",
      join(state, "replica.db"),
      "--port",
      "0",
      "--no-watch",
      "--decision-log",
      "off",
      "--max-staleness",
      "86400",
    ];
    const floor: number[] = [];
    const help: number[] = [];
    const serve: number[] = [];
    const serveModules: number[] = [];
    const stack: number[] = [];
    const modulesEnv = { ...process.env, CAPGATE_SERVE_BUNDLE: "off" };
    const baseHelp: number[] = [];
    const baseServe: number[] = [];
    const extraCa = process.env["NODE_EXTRA_CA_CERTS"];
    const noCaEnv = { ...process.env };
    delete noCaEnv["NODE_EXTRA_CA_CERTS"];
    const floorNoCa: number[] = [];
    const serveNoCa: number[] = [];
    const stackNoCa: number[] = [];
    // CPU time, ms: the floor's and serve's (bundle), the baseline's serve, and both without NODE_EXTRA_CA_CERTS.
    const cpu = {
      floor: [] as number[],
      serve: [] as number[],
      baseServe: [] as number[],
      floorNoCa: [] as number[],
      serveNoCa: [] as number[],
    };
    const serveInto = async (
      args: string[],
      wall: number[],
      cpuMs: number[],
      env?: NodeJS.ProcessEnv,
    ): Promise<void> => {
      const r = await serveOnce(args, env);
      wall.push(r.ms);
      cpuMs.push(r.cpuMs);
    };
    // In turn, so a slow second on this shared machine slows all three alike.
    for (let i = 0; i < runs; i++) {
      floor.push(await timed(["-e", "0"]));
      help.push(await timed([bin, "--help"]));
      const hello = await until([stackFloor], /stack floor listening/);
      stack.push(hello.ms);
      await stop(hello.child);
      cpu.floor.push(await floorCpuMs());
      await serveInto(serveArgs(bin), serve, cpu.serve);
      serveModules.push((await serveOnce(serveArgs(bin), modulesEnv)).ms);
      if (baseline !== undefined) {
        baseHelp.push(await timed([baseline, "--help"]));
        await serveInto(serveArgs(baseline), baseServe, cpu.baseServe);
      }
      if (extraCa !== undefined) {
        floorNoCa.push(await timed(["-e", "0"], noCaEnv));
        cpu.floorNoCa.push(await floorCpuMs(noCaEnv));
        await serveInto(serveArgs(bin), serveNoCa, cpu.serveNoCa, noCaEnv);
        const hello = await until([stackFloor], /stack floor listening/, undefined, noCaEnv);
        stackNoCa.push(hello.ms);
        await stop(hello.child);
      }
    }
    const f = quantile(floor, 0.5);
    const line = (label: string, xs: number[], target: string, floorMs = f): string => {
      const m = quantile(xs, 0.5);
      return `${label.padEnd(34)} median ${fmt(m)}, p99 ${fmt(quantile(xs, 0.99))}   ${(m / floorMs).toFixed(2)}x the floor${target}`;
    };
    console.log(`start-up, ${runs} runs each`);
    console.log(line("floor: node -e 0", floor, ""));
    console.log(line("capgate --help", help, "   (target within 2x)"));
    console.log(line("stack floor: Hono hello, listening", stack, "   (no capgate code: Hono on @hono/node-server)"));
    console.log(line("capgate serve, until listening", serve, "   (target within 2x)"));
    console.log(line("  the same from dist/'s modules", serveModules, "   (CAPGATE_SERVE_BUNDLE=off)"));
    if (baseline !== undefined) {
      console.log(line("baseline: capgate --help", baseHelp, ""));
      console.log(line("baseline: capgate serve", baseServe, ""));
    }
    if (extraCa !== undefined) {
      const bare = quantile(floorNoCa, 0.5);
      console.log(`without NODE_EXTRA_CA_CERTS (set here: Node parses ${extraCa} at every start)`);
      console.log(line("  floor: node -e 0", floorNoCa, "", bare));
      console.log(line("  capgate serve, until listening", serveNoCa, "", bare));
      console.log(line("  stack floor: Hono hello", stackNoCa, "", bare));
    }
    console.log("");
    console.log("CPU time (all threads, user+sys), median");
    const cpuLine = (label: string, xs: number[], floorMs: number): string =>
      `${label.padEnd(34)} ${fmt(quantile(xs, 0.5))}   ${(quantile(xs, 0.5) / floorMs).toFixed(2)}x the floor's`;
    const cf = quantile(cpu.floor, 0.5);
    console.log(cpuLine("floor: node -e", cpu.floor, cf));
    console.log(cpuLine("capgate serve, until listening", cpu.serve, cf));
    if (baseline !== undefined) console.log(cpuLine("baseline: capgate serve", cpu.baseServe, cf));
    if (extraCa !== undefined) {
      const bare = quantile(cpu.floorNoCa, 0.5);
      console.log(cpuLine("  floor, no NODE_EXTRA_CA_CERTS", cpu.floorNoCa, bare));
      console.log(cpuLine("  serve, no NODE_EXTRA_CA_CERTS", cpu.serveNoCa, bare));
    }
    console.log("");
    console.log(`quickstart memory (resident set)`);
    console.log(
      `${"sidecar process, ready".padEnd(34)} ${atReady.sidecar.toFixed(0).padStart(5)} MB   (target under 250 MB)`,
    );
    console.log(
      `${`sidecar process, after ${requests} decisions`.padEnd(34)} ${afterLoad.sidecar.toFixed(0).padStart(5)} MB   (target under 250 MB)`,
    );
    console.log(
      `${"quickstart process (PGlite, compiler)".padEnd(34)} ${afterLoad.quickstart.toFixed(0).padStart(5)} MB   (not serving)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
