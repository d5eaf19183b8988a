// What the fleet tests share: the real NATS server (CAPGATE_TEST_NATS_URL,
// failing, not skipping, when it does not answer), unique stream names and
// their clean-up, relays and followers as child processes running the built
// CLI, private nats-servers for tests that stop the server, a TCP proxy that
// partitions a follower, and a bounded wait without timed assertions.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { capgateCommand } from "../helpers/cli.js";
import { afterEach, beforeEach } from "vitest";
import { fleetNames, NatsFollower, parseChange } from "../../src/fleet/index.js";
import type { LoadedKey } from "../../src/snapshot/index.js";
import { primaryRows, replicaRows } from "../replica/compare.js";
import { migrate } from "../../src/migrate/index.js";
import { openPrimary, type Primary } from "../../src/primary/index.js";
import { SUPPORTED_SCHEMA_VERSIONS } from "../../src/replica/index.js";
import { createTestDatabase } from "../helpers/primary.js";
import { seedSample } from "../replica/fixture.js";

export interface FleetPrimary {
  url: string;
  primary: Primary;
  /** Scratch directory for replicas and snapshots. */
  dir: string;
  close(): Promise<void>;
}

/**
 * A database of the test's own on the PostgreSQL server (a relay needs a
 * server: it LISTENs), migrated to the newest version this capgate mirrors
 * (later migrations in the tree may belong to work this build does not read
 * yet), with a few tenants and users.
 */
export async function fleetPrimary(area: string): Promise<FleetPrimary> {
  const db = await createTestDatabase(area);
  const primary = await openPrimary({ databaseUrl: db.url });
  const dir = mkdtempSync(join(tmpdir(), `capgate-${area}-`));
  const close = async (): Promise<void> => {
    await primary.close().catch(() => undefined);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrate(primary, { up: SUPPORTED_SCHEMA_VERSIONS.max });
    await seedSample(primary, 4);
  } catch (e) {
    await close();
    throw e;
  }
  return { url: db.url, primary, dir, close };
}

export const NATS_URL = process.env["CAPGATE_TEST_NATS_URL"] || "nats://127.0.0.1:4222";

export async function natsConnect(url = NATS_URL): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (e) {
    throw new Error(`NATS at ${url} does not answer (CAPGATE_TEST_NATS_URL): ${(e as Error).message}`);
  }
}

export const uniqueStream = (area: string): string => `T_${area.toUpperCase()}_${randomBytes(4).toString("hex")}`;

/** Deletes the stream and the buckets a fleet on it created. */
export async function removeFleet(nc: NatsConnection, stream: string): Promise<void> {
  const n = fleetNames(stream);
  const jsm = await jetstreamManager(nc);
  for (const s of [n.stream, `KV_${n.leaseBucket}`, `OBJ_${n.snapshotBucket}`, `OBJ_${n.bundleBucket}`]) {
    await jsm.streams.delete(s).catch(() => undefined);
  }
}

/** Waits (no time assertion) until `check` holds; gives up after a generous bound. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, boundMs = 60_000): Promise<void> {
  const until = Date.now() + boundMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened within ${boundMs} ms: ${what}`);
}

export interface Child {
  proc: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Stops with SIGTERM and waits for the exit. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** Runs `capgate ARGS` in a child process, collecting its output. */
export function runCapgate(args: string[], env: Record<string, string> = {}): Child {
  const [node, bin] = capgateCommand() as [string, string];
  const proc = spawn(node, [bin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    proc,
    stderr: () => err,
    stdout: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

export function startRelay(databaseUrl: string, stream: string, nats = NATS_URL, extra: string[] = []): Child {
  return runCapgate(["relay", "--database-url", databaseUrl, "--nats", nats, "--stream", stream, "--poll-interval", "200", ...extra]);
}

/** A nats-server of the test's own (JetStream, its own store), for tests that stop the server. */
export interface PrivateNats {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.connect(port, "127.0.0.1");
  });
}

export async function privateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "capgate-nats-"));
  let proc: ChildProcess | undefined;
  const n: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      proc = spawn("nats-server", ["-js", "-sd", store, "-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
      await eventually(() => answers(port), `nats-server on port ${port} answers`, 20_000);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (p === undefined || p.exitCode !== null) return;
      const exited = new Promise<void>((r) => p.once("exit", () => r()));
      p.kill("SIGTERM");
      await exited;
    },
  };
  await n.start();
  return n;
}

/** A TCP proxy in front of NATS whose link can be cut (a partition) and restored. */
export interface Partition {
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function partitionable(target = NATS_URL): Promise<Partition> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(Number(t.port || 4222), t.hostname);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    sockets.add(client);
    sockets.add(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    heal() {
      open = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TestFollower {
  f: NatsFollower;
  replica: string;
  /** Change ids applied, in order. */
  applied: number[];
  /** The same, one array per committed batch. */
  batches: number[][];
  bootstraps: number;
  notes: string[];
  stop(): void;
  done: Promise<void>;
}

export interface FleetContext {
  tp: FleetPrimary;
  nc: NatsConnection;
  stream: string;
  children: Child[];
  relay(opts?: { nats?: string; extra?: string[] }): Child;
  follower(name: string, opts?: { natsUrl?: string; key?: LoadedKey; batchWindowMs?: number }): TestFollower;
  sameAsPrimary(replica: string): Promise<boolean>;
}

/** Registers the hooks of a fleet test file: a primary, a unique stream, and clean-up (with output on failure). */
export function useFleet(area: string): FleetContext {
  const ctx = { children: [] as Child[] } as unknown as FleetContext;
  const stops: AbortController[] = [];
  const notes: string[] = [];
  beforeEach(async () => {
    ctx.nc = await natsConnect();
    ctx.tp = await fleetPrimary(area);
    ctx.stream = uniqueStream(area);
  });
  afterEach(async (t) => {
    for (const s of stops.splice(0)) s.abort();
    if (t.task.result?.state === "fail") {
      for (const c of ctx.children) process.stderr.write(`--- ${c.proc.spawnargs.slice(2, 4).join(" ")} stderr:\n${c.stderr()}\n`);
      process.stderr.write(`--- followers' notes:\n${notes.slice(-40).join("\n")}\n`);
    }
    notes.length = 0;
    for (const c of ctx.children.splice(0)) await c.stop();
    await removeFleet(ctx.nc, ctx.stream);
    await ctx.nc.close();
    await ctx.tp.close();
  });
  ctx.relay = (opts = {}) => {
    const c = startRelay(ctx.tp.url, ctx.stream, opts.nats ?? NATS_URL, opts.extra ?? []);
    ctx.children.push(c);
    return c;
  };
  ctx.follower = (name, opts = {}) => {
    const ac = new AbortController();
    stops.push(ac);
    const replica = join(ctx.tp.dir, `${name}.db`);
    const t: TestFollower = {
      replica,
      applied: [],
      batches: [],
      bootstraps: 0,
      notes: [],
      stop: () => ac.abort(),
      f: undefined as unknown as NatsFollower,
      done: Promise.resolve(),
    };
    t.f = new NatsFollower({
      natsUrl: opts.natsUrl ?? NATS_URL,
      stream: ctx.stream,
      replicaPath: replica,
      signal: ac.signal,
      reportEveryMs: 0,
      ...(opts.key ? { key: opts.key } : {}),
      ...(opts.batchWindowMs === undefined ? {} : { batchWindowMs: opts.batchWindowMs }),
      onNote: (l) => {
        t.notes.push(l);
        notes.push(l);
      },
      onApplied: (cs) => {
        t.applied.push(...cs.map((c) => c.seq));
        t.batches.push(cs.map((c) => c.seq));
      },
      onBootstrap: () => t.bootstraps++,
    });
    t.done = t.f.run();
    return t;
  };
  ctx.sameAsPrimary = async (replica) => {
    try {
      return JSON.stringify(replicaRows(replica)) === JSON.stringify(await primaryRows(ctx.tp.primary));
    } catch {
      return false;
    }
  };
  return ctx;
}

/** Every change message in the stream, in stream order: its change id and the predecessor it names. */
export async function streamChain(nc: NatsConnection, stream: string): Promise<{ seq: number; id: number; prev: number }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: { seq: number; id: number; prev: number }[] = [];
  for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
    const m = await jsm.streams.getMessage(stream, { seq: s });
    if (m === null) continue;
    out.push({ seq: m.seq, id: Number(m.header.get("Nats-Msg-Id")), prev: parseChange(m.data, m.seq).prev });
  }
  return out;
}

/** The change ids in the primary's log above `after`. */
export async function logIds(p: Primary, after: number): Promise<number[]> {
  const r = await p.query<{ seq: string }>("SELECT seq FROM capgate_change_log WHERE seq > $1 ORDER BY seq", [after]);
  return r.rows.map((x) => Number(x.seq));
}
