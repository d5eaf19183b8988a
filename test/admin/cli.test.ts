// `capgate admin ...` as a user runs it (bin/capgate.js over dist/): tokens
// created (printed once, only the hash stored), listed and revoked on the
// embedded primary and on PostgreSQL; admin serve's host rule, its refusal of
// a primary without the admin tables, and a served request before and after
// its token is revoked.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed.js";
import { hashToken } from "../../src/admin/store/index.js";
import { openPrimary } from "../../src/primary/index.js";
import { capgateCommand, runCli } from "../helpers/cli.js";
import { createPgliteDir, createTestDatabase, type TestDatabase } from "../helpers/primary.js";
import { call, migrateToAdmin } from "./helpers.js";

describe("admin token on the embedded primary", () => {
  let dir: Awaited<ReturnType<typeof createPgliteDir>>;
  beforeAll(async () => {
    dir = await createPgliteDir();
    const p = await openPrimary({ dataDir: dir.dataDir });
    await migrateToAdmin(p);
    await seedDemo(p);
    await p.close();
  }, 120_000);
  afterAll(() => dir?.remove());

  it("creates, lists and revokes; the token is printed once and only its hash is stored", async () => {
    const made = await runCli(["admin", "token", "create", "--role", "tenant-admin", "--tenant", "acme", "--name", "acme-ops", "--data-dir", dir.dataDir]);
    expect(made.stderr).toMatch(/^token tok_[0-9a-f]{10} \(acme-ops, tenant-admin of acme\) created/);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^cgadm_[A-Za-z0-9_-]{43}$/);
    const id = /token (tok_[0-9a-f]+)/.exec(made.stderr)![1]!;

    const list = await runCli(["admin", "token", "list", "--data-dir", dir.dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\tacme-ops\\ttenant-admin\\tacme\\t\\S+Z\\tlive$`, "m"));
    expect(list.stdout).not.toContain(token);

    const p = await openPrimary({ dataDir: dir.dataDir });
    const stored = await p.query<{ token_hash: string }>("SELECT token_hash FROM admin_tokens WHERE id = $1", [id]);
    const dump = await p.query<{ t: string }>("SELECT string_agg(t::text, ' ') AS t FROM admin_tokens t");
    await p.close();
    expect(stored.rows[0]!.token_hash).toBe(hashToken(token));
    expect(dump.rows[0]!.t).not.toContain(token.slice(6));

    const revoked = await runCli(["admin", "token", "revoke", id, "--data-dir", dir.dataDir]);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked ${id} \\(acme-ops\\) at \\S+Z$`, "m"));
    const again = await runCli(["admin", "token", "revoke", id, "--data-dir", dir.dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already revoked/);
  });

  it("refuses bad flags with one line each and stores nothing", async () => {
    const lines = async () => (await runCli(["admin", "token", "list", "--data-dir", dir.dataDir])).stdout;
    const before = await lines();
    for (const [args, message] of [
      [["--role", "tenant-admin"], /tenant: is required for a tenant-admin token/],
      [["--role", "tenant-admin", "--tenant", "nope"], /tenant: no tenant "nope"/],
      [["--role", "operator", "--tenant", "acme"], /tenant: operator tokens are not bound to a tenant/],
      [["--role", "root"], /argument 'root' is invalid|Allowed choices/],
    ] as const) {
      const r = await runCli(["admin", "token", "create", ...args, "--data-dir", dir.dataDir]);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    }
    expect(await lines()).toBe(before);
  });
});

describe("admin serve", () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase("admin_cli");
  }, 60_000);
  afterAll(async () => {
    child?.kill("SIGTERM");
    await db?.drop();
  });

  it("keeps to loopback unless asked, like serve", async () => {
    const r = await runCli(["admin", "serve", "--host", "0.0.0.0", "--database-url", db.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/host: 0\.0\.0\.0 is not a loopback address; pass --allow-non-loopback to bind it/);
  });

  it("reports every bad setting of --config on its own line before starting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capgate-admin-config-"));
    try {
      const file = join(dir, "admin.yaml");
      writeFileSync(file, "port: eighty\ncolour: blue\nauth_failures: { limit: 0 }\noidc: { issuer: https://idp.example, audience: a }\n");
      const r = await runCli(["admin", "serve", "--config", file, "--database-url", db.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/port: must be a number/);
      expect(r.stderr).toMatch(/unknown setting\(s\) colour/);
      expect(r.stderr).toMatch(/auth_failures\.limit: must be greater than 0|auth_failures\.limit: must be at least 1/);
      expect(r.stderr).toMatch(/oidc: give exactly one of jwks_file or jwks_url/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a primary without the admin tables, naming the fix", async () => {
    const r = await runCli(["admin", "serve", "--port", "0", "--database-url", db.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no admin tables; run `capgate migrate up` first/);
  });

  it("serves /admin/v1 with a token made by the CLI, and refuses it once revoked", async () => {
    const p = await openPrimary({ databaseUrl: db.url });
    await migrateToAdmin(p);
    await seedDemo(p);
    await p.close();
    const made = await runCli(["admin", "token", "create", "--role", "viewer", "--database-url", db.url]);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    const [node, bin] = capgateCommand() as [string, string];
    const proc = spawn(node, [bin, "admin", "serve", "--port", "0", "--log-level", "silent", "--database-url", db.url], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      proc.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /capgate admin serving on (http:\/\/\S+)\/admin\/v1/.exec(err);
        if (m) resolve(m[1]!);
      });
      proc.on("exit", (code) => reject(new Error(`admin serve exited ${code}: ${err}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await call(url, "GET", "/admin/v1/tenants/acme", { token });
    expect(ok.status).toBe(200);
    const id = /token (tok_[0-9a-f]+)/.exec(made.stderr)![1]!;
    expect((await runCli(["admin", "token", "revoke", id, "--database-url", db.url])).code).toBe(0);
    expect((await call(url, "GET", "/admin/v1/tenants/acme", { token })).status).toBe(401);
    const exited = new Promise((resolve) => proc.on("exit", resolve));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    child = undefined;
  });
});
