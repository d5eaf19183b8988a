// `capgate serve` as an operator runs it (the built CLI in a child process):
// with the decision log on stdout, stdout carries nothing but decision lines
// and the service log goes to stderr, so neither stream splits the other's
// lines; a decision log that cannot be opened is reported once, and the
// sidecar still decides and exits cleanly; SIGHUP reopens the decision log file
// and loads a new bundle even when nothing polls for one.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capgateCommand } from "../helpers/cli.js";
import { buildReplica, buildTestBundle, createTestPrimary, post, tempDir, type TestPrimary } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let replica: string;
let bundle: string;

beforeAll(async () => {
  tmp = tempDir("capgate-serve-cli-");
  db = await createTestPrimary("serve_cli");
  replica = await buildReplica(db.primary, tmp.dir);
  bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "cli-rev");
}, 300_000);

/** Sidecars still running: a test that failed before stopping its own leaves it here. */
const running = new Set<ReturnType<typeof spawn>>();

afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  await db?.drop();
  tmp?.remove();
});

/** `capgate serve` on an ephemeral port, with its output collected, once it says where it serves. */
async function serve(
  extra: string[],
): Promise<{ url: string; signal(name: NodeJS.Signals): void; stop(): Promise<number | null>; stdout(): string; stderr(): string }> {
  const [node, bin] = capgateCommand() as [string, string];
  const child = spawn(node, [bin, "serve", "--replica", replica, "--bundle", bundle, "--port", "0", "--no-watch", ...extra]);
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /capgate serving on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`capgate serve exited (${code}) before serving:\n${stderr}`)));
  });
  return {
    url,
    signal: (name) => child.kill(name),
    async stop() {
      child.kill("SIGTERM");
      const [code] = (await once(child, "close")) as [number | null];
      return code;
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

const INPUT = { tenant_id: "acme", user_id: "u-alice", token_type: "access", auth: { methods: ["pwd"] } };

describe("capgate serve", () => {
  it("writes decision lines alone on stdout and its service log on stderr", async () => {
    const s = await serve(["--log-level", "info"]);
    for (let i = 0; i < 3; i++) expect((await post(s.url, "/decide", { decision: "token.issue", input: INPUT })).json).toMatchObject({ reasons: ["mfa_required"] });
    expect(await s.stop()).toBe(0);

    const lines = s.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatchObject({ decision: "token.issue", decision_id: expect.any(String), policy_revision: "cli-rev" });
    const service = s.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(service.map((l) => l["msg"])).toEqual(expect.arrayContaining(["policy bundle loaded", "replica opened", "capgate serving"]));
    for (const l of service) expect(l["service"]).toBe("capgate");
  }, 60_000);

  it("reports a decision log it cannot open once, decides on, and exits cleanly", async () => {
    const s = await serve(["--log-level", "error", "--decision-log", join(tmp.dir, "no-such-dir", "decisions.log")]);
    for (let i = 0; i < 2; i++) expect((await post(s.url, "/decide", { decision: "token.issue", input: INPUT })).status).toBe(200);
    expect(await s.stop()).toBe(0);
    // The decision log is a file, so the service log is on stdout.
    const lines = s.stdout().trim().split("\n").filter((l) => l.startsWith("{"));
    expect(lines.map((l) => (JSON.parse(l) as Record<string, unknown>)["msg"])).toEqual(["decision log write failed; decisions continue without it"]);
    expect(s.stdout() + s.stderr()).not.toMatch(/sonic boom|\n\s+at /);
  }, 60_000);

  it("reopens its decision log file on SIGHUP, as logrotate asks, and goes on serving", async () => {
    const file = join(tmp.dir, "rotated-decisions.log");
    const s = await serve(["--log-level", "info", "--decision-log", file]);
    const decide = async () => (await post(s.url, "/decide", { decision: "token.issue", input: INPUT })).json["decision_id"] as string;
    const before = [await decide(), await decide()];
    renameSync(file, `${file}.1`);
    s.signal("SIGHUP");
    // The service log says when the new file is open; decisions after that go to it.
    await until(() => s.stdout().includes("decision log reopened"));
    const after = [await decide()];
    expect(await s.stop()).toBe(0);
    const ids = (f: string) => readFileSync(f, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { decision_id: string }).decision_id);
    expect(ids(`${file}.1`)).toEqual(before);
    expect(ids(file)).toEqual(after);
  }, 60_000);
});

describe("capgate serve --no-watch", () => {
  it("loads a new bundle on SIGHUP", async () => {
    const own = join(tmp.dir, "hup-policy.tar.gz");
    copyFileSync(bundle, own);
    // The bundle flag given last wins over the one serve() puts first.
    const s = await serve(["--log-level", "info", "--bundle", own]);
    const revision = async () => (await post(s.url, "/decide", { decision: "token.issue", input: INPUT })).json["policy_revision"];
    expect(await revision()).toBe("cli-rev");
    await buildTestBundle(`${own}.new`, "cli-rev-2");
    renameSync(`${own}.new`, own);
    // Without the signal nothing polls: the old revision still answers.
    expect(await revision()).toBe("cli-rev");
    s.signal("SIGHUP");
    // The service log (on stderr, as the decision log is on stdout) names the revision it loaded.
    await until(() => s.stderr().includes("cli-rev-2"));
    expect(await revision()).toBe("cli-rev-2");
    expect(await s.stop()).toBe(0);
  }, 120_000);
});

describe("capgate serve --check", () => {
  const check = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const [node, bin] = capgateCommand() as [string, string];
      // Settings from the environment would change what is found; only the flags count here.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CAPGATE_") && k !== "DATABASE_URL"));
      execFile(node, [bin, "serve", "--check", ...args], { env }, (e, stdout) => resolve({ code: e ? (e.code as number) : 0, stdout }));
    });

  it("passes a good bundle and a current replica, naming what a missing key leaves off", async () => {
    const r = await check(["--replica", replica, "--bundle", bundle]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ok +bundle: .*policy\.tar\.gz: revision cli-rev, entrypoints capgate\/mfa\/requirement, capgate\/token\/issue, capgate\/token\/validate$/);
    expect(lines[1]).toMatch(/^ok +replica: .*replica\.db: version \S+@\d+, age \d+ s, at most 300 s allowed$/);
    expect(lines).toContain("warning  jwt: no jwt.jwks_file: token.validate denies every token");
    expect(lines.at(-1)).toBe("check passed: 4 warning(s)");
  }, 60_000);

  it("fails on a broken bundle and an unreachable primary, one line each, and serves nothing", async () => {
    const r = await check(["--replica", replica, "--bundle", replica, "--database-url", "postgres://capgate:pw@127.0.0.1:1/none"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^problem +bundle: bundle_error: .*replica\.db: refused: .*not a \.tar\.gz bundle/m);
    expect(r.stdout).toMatch(/^problem +primary: postgres:\/\/capgate:\*\*\*@127\.0\.0\.1:1\/none: connect ECONNREFUSED/m);
    expect(r.stdout).not.toContain(":pw@");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("check failed: 2 problem(s), 3 warning(s)");
  }, 60_000);
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(ok(), "waited 5 s").toBe(true);
}
