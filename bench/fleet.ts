// `npm run bench:fleet -- --followers N --rate R [--seconds S] [--procs P]
//   [--batch-window MS] [--semi-space-mb MB]`:
// one relay (the built CLI, a child process) on a fresh database of the local
// PostgreSQL server, N followers spread over P worker processes (default 2,
// one per core; each follower with its own replica file and ordered consumer,
// one NATS connection per worker), R changes per second at the primary for S
// seconds (default 60), in a commit every 20 ms; followers apply what arrived
// within --batch-window ms (default 100) in one transaction. CPU per applied
// change comes from process.cpuUsage (workers) and /proc (NATS server, relay).
// Prints end-to-end lag (the writer stamps each row just before sending it;
// the follower reads the stamp when the change is committed to its replica)
// as median, p99 and max over every (change, follower), beside the floor of
// the same run (the fastest follower's lag per change) and the relay's part
// (commit to published, seen by a plain subscriber). Also lost and duplicated
// changes, the primary's connection count, and memory of NATS, the relay and
// the followers. Figures, not assertions.
import { fork, spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setMaxListeners } from "node:events";
import pg from "pg";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { fleetNames, NatsFollower } from "../src/fleet/index.js";
import { migrate } from "../src/migrate/index.js";
import { openPrimary } from "../src/primary/index.js";
import { SUPPORTED_SCHEMA_VERSIONS } from "../src/replica/index.js";
import { arg, positiveArg } from "./args.js";

const SERVER = process.env["CAPGATE_BENCH_DATABASE_URL"] ?? process.env["CAPGATE_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const NATS = process.env["CAPGATE_TEST_NATS_URL"] || "nats://127.0.0.1:4222";
const HIST_MS = 120_000;

interface WorkerResult {
  hist: number[];
  /** Per change id: the smallest lag any follower of this worker saw. */
  fastest: Record<string, number>;
  counts: Record<string, number[]>;
  bootstraps: number;
  gaps: number;
  /** Transactions that applied changes, over all followers of the worker. */
  batches: number;
  /** Times the worker's NATS connection dropped (a server that finds it too slow closes it). */
  disconnects: number;
  rssBefore: number;
  rssAfter: number;
  /** CPU time (user + system) of the worker from the writer's start to the end, in microseconds. */
  cpuMicros: number;
}

/** The follower side: `n` followers in this process, lags into a 1 ms histogram. */
async function worker(): Promise<void> {
  const [stream, dir, nText, windowText] = process.argv.slice(3);
  if (stream === undefined || dir === undefined || nText === undefined || windowText === undefined)
    throw new Error("bench:fleet worker: expected --worker STREAM DIR N WINDOW_MS");
  const n = Number(nText);
  const rssBefore = process.memoryUsage().rss;
  let cpuBefore = process.cpuUsage();
  const nc = await connect({ servers: NATS, maxReconnectAttempts: -1 });
  let disconnects = 0;
  void (async () => {
    for await (const s of nc.status()) if (s.type === "disconnect") disconnects++;
  })();
  const ac = new AbortController();
  // Every follower of this process listens on the one signal.
  setMaxListeners(0, ac.signal);
  const hist = new Array<number>(HIST_MS + 1).fill(0);
  const fastest = new Map<number, number>();
  const applied = new Map<number, Uint16Array>();
  const counts = (seq: number): Uint16Array => {
    let a = applied.get(seq);
    if (a === undefined) applied.set(seq, (a = new Uint16Array(n)));
    return a;
  };
  let ready = 0;
  let maxSeq = 0;
  let batches = 0;
  const followers: NatsFollower[] = [];
  for (let i = 0; i < n; i++) {
    const f: NatsFollower = new NatsFollower({
      natsUrl: NATS,
      nc,
      stream,
      replicaPath: join(dir, `f${process.pid}-${i}.db`),
      signal: ac.signal,
      reportEveryMs: 0,
      batchWindowMs: Number(windowText),
      onBootstrap: () => {
        ready++;
        if (ready === n) process.send!({ type: "ready" });
      },
      onApplied: (cs) => {
        const now = Date.now();
        batches++;
        for (const c of cs) {
          const stamp = Number(c.row_data["name"]);
          if (c.table_name !== "tenants" || !Number.isFinite(stamp)) continue;
          const lag = Math.min(HIST_MS, Math.max(0, now - stamp));
          hist[lag]!++;
          const was = fastest.get(c.seq);
          if (was === undefined || lag < was) fastest.set(c.seq, lag);
          counts(c.seq)[i]!++;
          if (c.seq > maxSeq) maxSeq = c.seq;
        }
      },
    });
    followers.push(f);
    void f.run();
  }
  const progress = setInterval(() => process.send!({ type: "progress", maxSeq, min: Math.min(...followers.map((f) => f.report().watermark ?? 0)) }), 500);
  process.on("message", (m: { type: string }) => {
    // The writer starts: CPU from here on is the cost of following, not of bootstrapping.
    if (m.type === "mark") cpuBefore = process.cpuUsage();
    if (m.type !== "finish") return;
    clearInterval(progress);
    const out: Record<string, number[]> = {};
    for (const [seq, a] of applied) out[String(seq)] = [...a];
    const r: WorkerResult = {
      hist,
      fastest: Object.fromEntries(fastest),
      counts: out,
      bootstraps: followers.reduce((s, f) => s + f.report().bootstraps, 0),
      gaps: followers.reduce((s, f) => s + f.report().gaps, 0),
      disconnects,
      batches,
      rssBefore,
      rssAfter: process.memoryUsage().rss,
      cpuMicros: ((c) => c.user + c.system)(process.cpuUsage(cpuBefore)),
    };
    process.send!({ type: "result", r }, () => {
      ac.abort();
      setTimeout(() => process.exit(0), 500);
    });
  });
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function natsServerPid(): number | undefined {
  try {
    const port = new URL(NATS).port || "4222";
    const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process has used so far. */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

const load = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MB`;

function percentile(hist: number[], total: number, p: number): number {
  let seen = 0;
  const want = Math.ceil((p / 100) * total);
  for (let ms = 0; ms < hist.length; ms++) {
    seen += hist[ms]!;
    if (seen >= want) return ms;
  }
  return HIST_MS;
}

async function main(): Promise<void> {
  const followers = positiveArg("followers", 50);
  const rate = positiveArg("rate", 200);
  const seconds = positiveArg("seconds", 60);
  const procs = Math.min(followers, positiveArg("procs", 2));
  // 100 ms: about 20 changes per commit at 200/s; a commit costs about as much as ten upserts (docs/fleet.md).
  const windowMs = positiveArg("batch-window", 100);
  // Hundreds of followers in one process allocate fast: a larger young generation makes fewer, cheaper scavenges.
  const semiSpaceMb = positiveArg("semi-space-mb", 32);
  // The relay's --pass-gap; absent: the relay's default (100 ms). 0 runs a pass on every notification.
  const passGap = arg("pass-gap", -1);
  const dbName = `capgate_bench_fleet_${randomBytes(4).toString("hex")}`;
  const stream = `BENCH_${randomBytes(4).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "capgate-bench-fleet-"));
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(SERVER);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  const primary = await openPrimary({ databaseUrl: url, maxConnections: 1 });
  const children: ChildProcess[] = [];
  const nc = await connect({ servers: NATS });
  try {
    await migrate(primary, { up: SUPPORTED_SCHEMA_VERSIONS.max });
    await primary.exec("INSERT INTO tenants (id, name) SELECT 't' || i, 'Tenant ' || i FROM generate_series(1, 100) i");
    // Only the relay and the writer stay connected to the primary while the bench runs.
    await primary.close();
    const natsPid = natsServerPid();
    const natsBefore = rssOf(natsPid);
    const loadBefore = load();
    const bin = fileURLToPath(new URL("../bin/capgate.js", import.meta.url));
    const relay = spawn(process.execPath, [bin, "relay", "--database-url", url, "--nats", NATS, "--stream", stream, "--snapshot-every", "1h", ...(passGap >= 0 ? ["--pass-gap", String(passGap)] : [])], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(relay);
    let relayErr = "";
    relay.stderr!.on("data", (d: Buffer) => (relayErr += d.toString()));
    const until = Date.now() + 60_000;
    while (!relayErr.includes("published snapshot")) {
      if (Date.now() > until) throw new Error(`relay did not start:\n${relayErr}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const started = Date.now();
    const workers: { proc: ChildProcess; maxSeq: number; min: number; result?: WorkerResult }[] = [];
    await Promise.all(
      Array.from({ length: procs }, (_, p) => {
        const n = Math.floor(followers / procs) + (p < followers % procs ? 1 : 0);
        const proc = fork(fileURLToPath(import.meta.url), ["--worker", stream, dir, String(n), String(windowMs)], { execArgv: ["--import", "tsx", `--max-semi-space-size=${semiSpaceMb}`, ...(process.env["BENCH_PROFILE_DIR"] ? ["--cpu-prof", `--cpu-prof-dir=${process.env["BENCH_PROFILE_DIR"]}`] : [])] });
        children.push(proc);
        const w: { proc: ChildProcess; maxSeq: number; min: number; result?: WorkerResult } = { proc, maxSeq: 0, min: 0 };
        workers.push(w);
        return new Promise<void>((resolve) =>
          proc.on("message", (m: { type: string; maxSeq?: number; min?: number; r?: WorkerResult }) => {
            if (m.type === "ready") resolve();
            if (m.type === "progress") Object.assign(w, { maxSeq: m.maxSeq, min: m.min });
            if (m.type === "result") w.result = m.r!;
          }),
        );
      }),
    );
    const bootMs = Date.now() - started;

    // The writer: one connection; every 20 ms one commit of the rows due by then (R/50 at a steady pace), each row
    // its own change in the log, stamped just before the statement is sent.
    // The relay's share of the lag: primary commit -> the change published in the stream (a plain subscriber here).
    const published = new Array<number>(HIST_MS + 1).fill(0);
    let publishedCount = 0;
    nc.subscribe(fleetNames(stream).changes, {
      callback: (_e, m) => {
        const c = JSON.parse(m.string()) as { table_name: string; row_data: Record<string, unknown> };
        const stamp = Number(c.row_data["name"]);
        if (c.table_name !== "tenants" || !Number.isFinite(stamp)) return;
        published[Math.min(HIST_MS, Math.max(0, Date.now() - stamp))]!++;
        publishedCount++;
      },
    });
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    for (const w of workers) w.proc.send({ type: "mark" });
    const natsCpu0 = cpuOf(natsPid);
    const relayCpu0 = cpuOf(relay.pid);
    const total = Math.round(rate * seconds);
    const t0 = Date.now();
    let connections = 0;
    let sent = 0;
    let commits = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) * rate) / 1000) + 1);
      if (due > sent) {
        const stamp = String(Date.now());
        const rows = Array.from({ length: due - sent }, (_, k) => `('w${sent + k}', '${stamp}')`);
        await writer.query(`INSERT INTO tenants (id, name) VALUES ${rows.join(", ")}`);
        sent = due;
        commits++;
        if (connections === 0 && sent >= total / 2) {
          const r = await writer.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1", [dbName]);
          connections = Number(r.rows[0]!.n);
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const writeSecs = (Date.now() - t0) / 1000;
    const last = Number((await writer.query<{ m: string }>("SELECT max(seq) AS m FROM capgate_change_log")).rows[0]!.m);
    const first = last - total + 1;
    await writer.end();
    const writesEnded = Date.now();
    const drainUntil = writesEnded + 120_000;
    while (workers.some((w) => w.min < last) && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 250));
    const drainSecs = (Date.now() - writesEnded) / 1000;
    const natsAfter = rssOf(natsPid);
    const relayRss = rssOf(relay.pid);
    const natsCpu = cpuOf(natsPid) - natsCpu0;
    const relayCpu = cpuOf(relay.pid) - relayCpu0;
    const loadAfter = load();
    for (const w of workers) w.proc.send({ type: "finish" });
    while (workers.some((w) => w.result === undefined)) await new Promise((r) => setTimeout(r, 100));
    // Workers exit by themselves once they have sent their results (a profile, when asked for, is written then).
    await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once("exit", r)))));

    const hist = new Array<number>(HIST_MS + 1).fill(0);
    const fastest = new Map<string, number>();
    let lost = 0;
    let duplicated = 0;
    let bootstraps = 0;
    let gaps = 0;
    let disconnects = 0;
    let batches = 0;
    let followerRss = 0;
    let followerRssBase = 0;
    let followerCpu = 0;
    for (const w of workers) {
      const r = w.result!;
      r.hist.forEach((c, ms) => (hist[ms]! += c));
      for (const [k, v] of Object.entries(r.fastest)) fastest.set(k, Math.min(v, fastest.get(k) ?? Infinity));
      const n = Math.floor(followers / procs) + (workers.indexOf(w) < followers % procs ? 1 : 0);
      for (let seq = first; seq <= last; seq++) {
        const a = r.counts[String(seq)];
        for (let i = 0; i < n; i++) {
          const c = a?.[i] ?? 0;
          if (c === 0) lost++;
          else if (c > 1) duplicated += c - 1;
        }
      }
      bootstraps += r.bootstraps;
      gaps += r.gaps;
      disconnects += r.disconnects;
      batches += r.batches;
      followerRss += r.rssAfter;
      followerRssBase += r.rssBefore;
      followerCpu += r.cpuMicros / 1e6;
    }
    const samples = hist.reduce((a, b) => a + b, 0);
    const floorHist = new Array<number>(HIST_MS + 1).fill(0);
    for (const v of fastest.values()) floorHist[v]!++;
    const line = (h: number[], n: number): string => `median ${percentile(h, n, 50)} ms, p99 ${percentile(h, n, 99)} ms, max ${percentile(h, n, 100)} ms`;
    process.stdout.write(
      [
        `fleet bench: ${followers} followers in ${procs} processes, ${rate} changes/s for ${seconds} s (${total} changes in ${commits} commits over ${writeSecs.toFixed(1)} s), batch window ${windowMs} ms, relay pass gap ${passGap >= 0 ? `${passGap} ms` : "default"}, all bootstrapped in ${(bootMs / 1000).toFixed(1)} s`,
        `lag primary commit -> follower replica, every (change, follower) [${samples} samples]: ${line(hist, samples)}`,
        `floor, fastest follower per change [${fastest.size} changes]: ${line(floorHist, fastest.size)}`,
        `of which the relay's part, primary commit -> published in the stream [${publishedCount} changes]: ${line(published, publishedCount)}`,
        `not applied when the bench ended (lost, or still behind after a 120 s drain): ${lost}; applied twice: ${duplicated} (of ${total * followers} change applications); bootstraps ${bootstraps} (one each at start), gaps ${gaps}; worker NATS connections dropped ${disconnects} time(s); every follower had the last change ${drainSecs.toFixed(1)} s after it was written (to about 0.75 s: workers report every 0.5 s)`,
        `follower transactions: ${batches} (${(samples / Math.max(1, batches)).toFixed(1)} changes each, ${(batches / followers / (writeSecs + drainSecs)).toFixed(1)} per follower per second)`,
        `cpu seconds during the writes and drain: followers ${followerCpu.toFixed(1)} (${((followerCpu * 1e6) / Math.max(1, samples)).toFixed(1)} us per applied change per follower), NATS server ${natsCpu.toFixed(1)} (${((natsCpu * 1e6) / Math.max(1, samples)).toFixed(1)} us per delivery), relay ${relayCpu.toFixed(1)}; load average ${loadBefore} before, ${loadAfter} after (2 cores, shared)`,
        `relay: ${(relayErr.match(/holds the lease/g) ?? []).length} time(s) took the lease, ${(relayErr.match(/lost the lease/g) ?? []).length} time(s) lost it, ${(relayErr.match(/sync failed/g) ?? []).length} failed pass(es)`,
        `primary connections (pg_stat_activity, mid-run): ${connections} (the relay's query and LISTEN connections plus this bench's writer)`,
        `memory: NATS server ${mb(natsBefore)} -> ${mb(natsAfter)}; relay ${mb(relayRss)}; follower processes ${mb(followerRssBase)} before followers -> ${mb(followerRss)} (${((followerRss - followerRssBase) / followers / 1024).toFixed(0)} KB per follower)`,
        `| ${followers} | ${rate} | ${seconds} | ${percentile(hist, samples, 50)} | ${percentile(hist, samples, 99)} | ${percentile(hist, samples, 100)} | ${percentile(floorHist, fastest.size, 50)} / ${percentile(floorHist, fastest.size, 99)} | ${lost} | ${duplicated} | ${connections} | ${mb(natsAfter)} | ${mb(followerRss - followerRssBase)} | ${((followerCpu * 1e6) / Math.max(1, samples)).toFixed(1)} / ${((natsCpu * 1e6) / Math.max(1, samples)).toFixed(1)} | ${loadBefore.split(" ")[0]} |`,
      ].join("\n") + "\n",
    );
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    const jsm = await jetstreamManager(nc);
    const n = fleetNames(stream);
    for (const s of [n.stream, `KV_${n.leaseBucket}`, `OBJ_${n.snapshotBucket}`]) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--worker") await worker();
else await main();
