// The Quickstart end to end, as a user runs it: `capgate quickstart` in a fresh
// working directory (embedded primary, no database server) as a child process
// on an ephemeral port. The test waits for the ready line, runs the printed
// curl lines' requests over real HTTP, stops it with SIGINT, and checks that a
// second run reuses the state and that a concurrent run is refused in one line.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capgateCommand, runCli } from "../helpers/cli.js";


interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(cwd: string): Run {
  const env = { ...process.env };
  delete env["DATABASE_URL"];
  delete env["CAPGATE_DATABASE_URL"];
  const [node, bin] = capgateCommand() as [string, string];
  const child = spawn(node, [bin, "quickstart", "--port", "0"], { cwd, env });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Resolves with the served URL once the ready line is out; rejects if the process ends first. */
async function ready(run: Run): Promise<string> {
  const ended = run.exit.then((e) => {
    throw new Error(`quickstart exited (${e.code ?? e.signal}) before it was ready:\n${run.stdout()}\n${run.stderr()}`);
  });
  const url = new Promise<string>((resolve) => {
    const check = (): void => {
      const m = /ready on (http:\/\/127\.0\.0\.1:(\d+))/.exec(run.stdout());
      // The curl lines follow the ready line; wait for the last one.
      if (m !== null && run.stdout().includes("/mfa/totp/verify")) resolve(m[1]!);
      else setTimeout(check, 50);
    };
    check();
  });
  return Promise.race([url, ended]);
}

interface Curl {
  url: string;
  body: string;
}

/** The printed curl lines: URL and the -d body, exactly as a shell would send them. */
function curlLines(stdout: string): Curl[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("curl "))
    .map((l) => {
      const m = /^curl -s (\S+) -H 'content-type: application\/json' -d '(.*)'$/.exec(l);
      if (m === null) throw new Error(`unexpected curl line: ${l}`);
      return { url: m[1]!, body: m[2]! };
    });
}

async function post(c: Curl, code?: string): Promise<Record<string, unknown>> {
  // The TOTP line closes its single quotes around "$CODE"; the shell splices the code there.
  const body = code === undefined ? c.body : c.body.replace(`'"$CODE"'`, code);
  const res = await fetch(c.url, { method: "POST", headers: { "content-type": "application/json" }, body });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("capgate quickstart", () => {
  let cwd: string;
  let first: Run;
  let url: string;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), "capgate-quickstart-"));
    first = start(cwd);
    url = await ready(first);
  }, 180_000);

  afterAll(() => {
    if (first.child.exitCode === null) first.child.kill("SIGKILL");
    rmSync(cwd, { recursive: true, force: true });
  });

  it("prints the three scenarios and the demo secret, and builds its state under ./.capgate", () => {
    const lines = curlLines(first.stdout());
    expect(lines.map((l) => new URL(l.url).pathname)).toEqual(["/decide", "/decide", "/mfa/totp/verify"]);
    expect(lines.every((l) => l.url.startsWith(url))).toBe(true);
    expect(first.stdout()).toMatch(/demo TOTP secret of u-alice \(tenant acme\): [A-Z2-7]{32}\n/);
    expect(first.stdout()).toMatch(/^CODE=\$\(node .*capgate\.js demo totp-code\)$/m);
    for (const f of ["replica.db", "bundle.tar.gz", "totp-encryption.key", "assertion-signing.jwk.json", "primary"])
      expect(existsSync(join(cwd, ".capgate", f)), f).toBe(true);
  });

  it("allows a token with the TTL clamped to the tenant's limit", async () => {
    const [allowed] = curlLines(first.stdout());
    const r = await post(allowed!);
    expect(r).toMatchObject({ decision: "token.issue", allow: true, reasons: [], ttl_seconds: 900 });
    expect(r["mfa"]).toMatchObject({ required: true, satisfied: true, enrolled: true });
    expect(JSON.parse(allowed!.body).input.requested_ttl_seconds).toBe(86400);
  });

  it("denies a password-only token for a tenant that requires MFA", async () => {
    const r = await post(curlLines(first.stdout())[1]!);
    expect(r).toMatchObject({ allow: false, reasons: ["mfa_required"] });
  });

  it("verifies the demo user's current TOTP code once and refuses its replay", async () => {
    const secret = /demo TOTP secret of u-alice \(tenant acme\): ([A-Z2-7]+)/.exec(first.stdout())![1]!;
    const code = await generate({ secret });
    const verify = curlLines(first.stdout())[2]!;
    const ok = await post(verify, code);
    expect(ok).toMatchObject({ verified: true, expires_in: 300 });
    expect(String(ok["assertion"]).split(".")).toHaveLength(3);
    expect(await post(verify, code)).toMatchObject({ verified: false, reason: "code_already_used" });
  });

  it("prints the same code as `capgate demo totp-code`", async () => {
    const secret = /demo TOTP secret of u-alice \(tenant acme\): ([A-Z2-7]+)/.exec(first.stdout())![1]!;
    const before = await generate({ secret });
    const r = await runCli(["demo", "totp-code"], { cwd });
    const after = await generate({ secret });
    expect(r.code).toBe(0);
    // A step boundary may fall between the calls; the printed code is one of the two.
    expect([before, after]).toContain(r.stdout.trim());
  }, 60_000);

  it("refuses a concurrent run in the same directory with one line naming the lock", async () => {
    const second = start(cwd);
    const e = await second.exit;
    expect(e.code).toBe(1);
    const err = second.stderr().trim();
    expect(err.split("\n")).toHaveLength(1);
    expect(err).toMatch(/^capgate: database_error: embedded primary .*\.capgate[/\\]primary is in use by process \d+; stop it or pass --database-url$/);
    // The running one is unaffected.
    expect(await post(curlLines(first.stdout())[1]!)).toMatchObject({ allow: false, reasons: ["mfa_required"] });
  }, 60_000);

  it("stops cleanly on SIGINT, and a second run reuses the state and serves again", async () => {
    first.child.kill("SIGINT");
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toMatch(/\nstopping\n$/);
    expect(first.stderr()).toBe("");
    expect(existsSync(join(cwd, ".capgate", "primary.lock"))).toBe(false);

    const again = start(cwd);
    try {
      await ready(again);
      expect(again.stdout()).toContain("schema already at version");
      expect(again.stdout()).toContain("demo data: 0 tenant(s), 0 user(s) added");
      expect(again.stdout()).toContain("TOTP for u-alice: already stored");
      expect(again.stdout()).not.toContain("dev keys written");
      const [allowed] = curlLines(again.stdout());
      expect(await post(allowed!)).toMatchObject({ allow: true, ttl_seconds: 900 });
    } finally {
      again.child.kill("SIGINT");
      expect(await again.exit).toEqual({ code: 0, signal: null });
    }
    expect(again.stderr()).toBe("");
  }, 180_000);
});
