// A replica damaged on disk while `capgate serve` (the built CLI, in a child
// process) answers from it: pages in the middle of the file overwritten, then
// users never asked before are asked for. The sidecar must deny with
// replica_corrupt, stay alive, say so on /ready (503) and count it in a metric;
// a damaged index page, which no decision reads, must be found by the
// scheduled quick_check; and `capgate sync --follow` must replace the damaged
// file with a fresh snapshot, after which the sidecar answers again, also when
// only the sidecar noticed (it leaves a note beside the file).
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, realpathSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import { applySnapshot, exportSnapshot } from "../../src/snapshot/index.js";
import { capgateCommand } from "../helpers/cli.js";
import { tempMigrations } from "../helpers/migrations-dir.js";
import { buildTestBundle, createTestPrimary, post, tempDir, type TestPrimary } from "./helpers.js";

const BULK_USERS = 60_000;
const bulkId = (n: number): string => `bulk-${String(n).padStart(6, "0")}`;

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let bundle: string;

beforeAll(async () => {
  tmp = tempDir("capgate-corrupt-");
  db = await createTestPrimary("replica_corrupt");
  // The shipped migrations up to the change log, whatever is being added after it.
  const migrations = tempMigrations(5);
  await migrate(db.primary, { up: "all" }, { dir: migrations.dir });
  migrations.remove();
  await seedDemo(db.primary);
  // Enough users that the replica is several times SQLite's page cache, so most pages are read from disk.
  await db.primary.exec(
    `INSERT INTO users (id, tenant_id, email, mfa_enabled)
     SELECT 'bulk-' || lpad(g::text, 6, '0'), 'acme', 'bulk' || g || '@acme.example', false FROM generate_series(1, ${BULK_USERS}) g`,
  );
  bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "corrupt-rev");
}, 300_000);

const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await db?.drop();
  tmp?.remove();
});

/** A fresh replica of the primary at a new path. */
async function newReplica(name: string): Promise<string> {
  const snap = join(tmp.dir, `${name}.snapshot`);
  await exportSnapshot(db.primary, snap);
  const replica = join(tmp.dir, `${name}.db`);
  await applySnapshot(snap, replica, { force: true });
  return replica;
}

interface Child {
  proc: ChildProcess;
  output(): string;
  alive(): boolean;
}

function start(args: string[], env: Record<string, string> = {}): Child {
  const [node, bin] = capgateCommand() as [string, string];
  const proc = spawn(node, [bin, ...args], { env: { ...process.env, ...env } });
  children.add(proc);
  let output = "";
  proc.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  proc.once("exit", () => children.delete(proc));
  return { proc, output: () => output, alive: () => proc.exitCode === null && proc.signalCode === null };
}

async function serve(replica: string, args: string[], env: Record<string, string>): Promise<Child & { url: string }> {
  const c = start(["serve", "--replica", replica, "--bundle", bundle, "--port", "0", "--decision-log", "off", "--log-level", "error", ...args], env);
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const m = /capgate serving on (http:\/\/\S+)/.exec(c.output());
      if (m) resolve(m[1]!);
    };
    c.proc.stderr!.on("data", look);
    c.proc.once("exit", (code) => reject(new Error(`capgate serve exited (${code}) before serving:\n${c.output()}`)));
  });
  return Object.assign(c, { url });
}

async function stop(c: Child): Promise<void> {
  if (!c.alive()) return;
  const closed = new Promise((resolve) => c.proc.once("close", resolve));
  c.proc.kill("SIGTERM");
  await closed;
}

/** Overwrites whole pages of the replica's current file with random bytes, in place (no new inode). */
function overwritePages(replica: string, firstPage: number, pages: number): void {
  const file = realpathSync(replica);
  const fd = openSync(file, "r+");
  try {
    for (let p = firstPage; p < firstPage + pages; p++) writeSync(fd, randomBytes(PAGE), 0, PAGE, (p - 1) * PAGE);
  } finally {
    closeSync(fd);
  }
}
const PAGE = 4096;

function pageCount(replica: string): number {
  return Math.floor(statSync(realpathSync(replica)).size / PAGE);
}

const mfa = (base: string, user: string) => post(base, "/decide", { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: user } });

async function ready(base: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}/ready`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function metric(base: string, series: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

/** Polls until `probe` holds (no timing is asserted: the bound only stops a hung test). */
async function until(probe: () => Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("a replica damaged while serving", () => {
  it("denies users never asked before with replica_corrupt, stays alive, /ready 503 naming it, counted", async () => {
    const replica = await newReplica("pages");
    // No reload and no scheduled check: the decisions' own lookups are what find the damage.
    const s = await serve(replica, ["--no-watch"], { CAPGATE_REPLICA_INTEGRITY_CHECK_SECONDS: "0" });
    const before = await mfa(s.url, "u-alice");
    expect(before.status).toBe(200);
    expect(before.json["reasons"]).not.toContain("replica_corrupt");
    expect((await ready(s.url)).status).toBe(200);

    const pages = pageCount(replica);
    overwritePages(replica, Math.floor(pages * 0.3), Math.floor(pages * 0.2));

    const answers: Record<string, unknown>[] = [];
    for (let i = 0; i < 50; i++) answers.push((await mfa(s.url, bulkId(Math.floor(BULK_USERS * (0.3 + i * 0.01))))).json);
    const first = answers.findIndex((a) => (a["reasons"] as string[]).includes("replica_corrupt"));
    expect(first, JSON.stringify(answers.slice(0, 3))).toBeGreaterThanOrEqual(0);
    for (const a of answers.slice(first)) expect(a).toMatchObject({ allow: false, reasons: ["replica_corrupt"] });

    // Past the read view's timer (where the old code threw), the sidecar is alive and says why it is not ready.
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.alive(), s.output()).toBe(true);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const r = await ready(s.url);
    expect(r.status).toBe(503);
    expect(r.json["replica"]).toMatchObject({ status: "corrupt", detail: expect.stringMatching(/corrupt|malformed/) });
    expect(await metric(s.url, 'capgate_replica_corruptions_total{found_by="lookup"}')).toBe(1);
    // Subjects asked before are denied too: nothing is read from the damaged file any more.
    expect((await mfa(s.url, "u-alice")).json).toMatchObject({ allow: false, reasons: ["replica_corrupt"] });
    expect(s.alive()).toBe(true);
    await stop(s);
  }, 120_000);

  it("finds a damaged index page no decision reads with the scheduled quick_check", async () => {
    const replica = await newReplica("index");
    const ro = new Database(realpathSync(replica), { readonly: true });
    const root = ro.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'users_tenant_id_idx'").pluck().get() as number;
    ro.close();
    const s = await serve(replica, ["--no-watch"], { CAPGATE_REPLICA_INTEGRITY_CHECK_SECONDS: "1" });
    expect((await ready(s.url)).status).toBe(200);

    overwritePages(replica, root, 1);
    // Decisions read users by primary key, never this index: only the check can notice.
    await until(async () => (await ready(s.url)).status === 503, "/ready to turn 503");
    expect((await ready(s.url)).json["replica"]).toMatchObject({ status: "corrupt", detail: expect.stringContaining("quick_check") });
    expect(await metric(s.url, 'capgate_replica_corruptions_total{found_by="integrity_check"}')).toBe(1);
    expect((await mfa(s.url, "u-alice")).json).toMatchObject({ allow: false, reasons: ["replica_corrupt"] });
    expect(s.alive()).toBe(true);
    await stop(s);
  }, 120_000);

  it("says so when the replica is damaged before the sidecar starts: quick_check at load", async () => {
    const replica = await newReplica("before");
    const ro = new Database(realpathSync(replica), { readonly: true });
    const root = ro.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'users_tenant_id_idx'").pluck().get() as number;
    ro.close();
    overwritePages(replica, root, 1);
    const s = await serve(replica, ["--no-watch"], { CAPGATE_REPLICA_INTEGRITY_CHECK_SECONDS: "0" });
    const r = await ready(s.url);
    expect(r.status).toBe(503);
    expect(r.json["replica"]).toMatchObject({ status: "corrupt", detail: expect.stringContaining("quick_check") });
    expect((await mfa(s.url, "u-alice")).json).toMatchObject({ allow: false, reasons: ["replica_corrupt"] });
    expect(await metric(s.url, 'capgate_replica_corruptions_total{found_by="load"}')).toBe(1);
    expect(s.alive()).toBe(true);
    await stop(s);
  }, 120_000);

  it("is replaced by `capgate sync --follow` with a fresh snapshot, and the sidecar answers again", async () => {
    const replica = await newReplica("follow");
    const s = await serve(replica, [], { CAPGATE_REPLICA_INTEGRITY_CHECK_SECONDS: "1" });
    const follower = start(["sync", "--follow", "--replica", replica, "--database-url", db.url!, "--poll-interval", "200", "--integrity-check", "1"]);
    const version = (await ready(s.url)).json["replica"] as { version: string };
    const user = bulkId(Math.floor(BULK_USERS * 0.6));
    const healthy = (await mfa(s.url, user)).json;
    expect(healthy["reasons"]).not.toContain("replica_corrupt");

    const pages = pageCount(replica);
    overwritePages(replica, Math.floor(pages * 0.3), Math.floor(pages * 0.2));

    await until(async () => /replaced by a fresh snapshot/.test(follower.output()), "the follower to replace the replica");
    expect(follower.output()).toMatch(/replica is corrupt/);
    // The sidecar may not have read a damaged page before the follower swapped
    // the file, so /ready can be 200 throughout: what shows the replacement
    // served is a new replica version with /ready at 200.
    const served = async () => {
      const r = await ready(s.url);
      return r.status === 200 && (r.json["replica"] as { version: string }).version !== version.version;
    };
    await until(served, "/ready at 200 on the fresh snapshot");
    expect((await mfa(s.url, user)).json).toMatchObject({ allow: healthy["allow"], reasons: healthy["reasons"] });
    expect(s.alive() && follower.alive()).toBe(true);
    await stop(follower);
    await stop(s);
  }, 180_000);

  it("is replaced by a follower that never checks it itself, told by the sidecar that found the damage", async () => {
    const replica = await newReplica("told");
    // Neither process checks on a schedule: only the sidecar's lookups and load check can find the damage.
    const s = await serve(replica, [], { CAPGATE_REPLICA_INTEGRITY_CHECK_SECONDS: "0" });
    const follower = start(["sync", "--follow", "--replica", replica, "--database-url", db.url!, "--poll-interval", "200", "--integrity-check", "0"]);
    const user = bulkId(Math.floor(BULK_USERS * 0.5));
    const healthy = (await mfa(s.url, user)).json;

    const pages = pageCount(replica);
    overwritePages(replica, Math.floor(pages * 0.3), Math.floor(pages * 0.2));
    for (let i = 0; i < 20; i++) await mfa(s.url, bulkId(Math.floor(BULK_USERS * (0.4 + i * 0.01))));

    await until(async () => /replaced by a fresh snapshot/.test(follower.output()), "the follower to replace the replica");
    expect(follower.output()).toMatch(/a reader found .* damaged/);
    await until(async () => (await ready(s.url)).status === 200, "/ready to return to 200");
    expect((await mfa(s.url, user)).json).toMatchObject({ allow: healthy["allow"], reasons: healthy["reasons"] });
    expect(s.alive() && follower.alive()).toBe(true);
    await stop(follower);
    await stop(s);
  }, 180_000);
});
