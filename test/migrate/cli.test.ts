// `capgate migrate` and `capgate demo seed` as a user runs them: in a child
// process, against the embedded primary of a fresh folder or the test server.
// Failures must be one line on stderr and a non-zero exit, never a stack trace.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/migrate/index.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { SHIPPED_MIGRATIONS, tempMigrations } from "../helpers/migrations-dir.js";
import { createPgliteDir, createTestDatabase, defaultEngine, serverUrl, type TestDatabase } from "../helpers/primary.js";

const LATEST = loadMigrations(SHIPPED_MIGRATIONS).length;
const SLOW = 300_000;
const UNREACHABLE = "postgres://postgres@127.0.0.1:1/capgate_nowhere";

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tempCwd(): string {
  const dir = mkdtempSync(join(tmpdir(), "capgate-test-cli-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Flags that point a command at a fresh primary of the default engine. */
async function freshPrimaryFlags(area: string): Promise<string[]> {
  if (defaultEngine() === "postgres") {
    const db: TestDatabase = await createTestDatabase(area);
    cleanups.push(() => db.drop());
    return ["--database-url", db.url];
  }
  const dir = await createPgliteDir();
  cleanups.push(() => dir.remove());
  return ["--data-dir", dir.dataDir];
}

describe("capgate migrate (CLI)", () => {
  it(
    "in a fresh folder with no URL, status creates and reports the embedded primary; up and demo seed work there",
    async () => {
      const cwd = tempCwd();
      const status = await runCli(["migrate", "status"], { cwd });
      expect(status.stderr).toBe("");
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`primary: embedded ${join(cwd, ".capgate", "primary")}`);
      expect(status.stdout).toContain(`version: none of ${LATEST}`);
      expect(status.stdout).toContain("pending  000001_legacy_tables");
      expect(existsSync(join(cwd, ".capgate", "primary", "PG_VERSION"))).toBe(true);

      const up = await runCli(["migrate", "up"], { cwd });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain(`is now at version ${LATEST}`);

      const seed1 = await runCli(["demo", "seed"], { cwd });
      expect(seed1.code, seed1.stderr).toBe(0);
      expect(seed1.stdout).toMatch(/5 tenant\(s\), 4 tenant setting\(s\), 8 user\(s\) added; capability rules applied/);
      const seed2 = await runCli(["demo", "seed"], { cwd });
      expect(seed2.stdout).toMatch(/0 tenant\(s\), 0 tenant setting\(s\), 0 user\(s\) added/);

      const after = await runCli(["migrate", "status"], { cwd });
      expect(after.stdout).toContain(`version: ${LATEST} of ${LATEST}`);
      expect(after.stdout).not.toContain("pending");
    },
    SLOW,
  );

  it(
    "an unreachable server, a bad URL or bad arguments give one line and a non-zero exit",
    async () => {
      const cwd = tempCwd();
      const cannotConnect = /^capgate: database_error: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/capgate_nowhere: .*ECONNREFUSED/;
      expectOneLineError(await runCli(["migrate", "status", "--database-url", UNREACHABLE], { cwd }), cannotConnect);
      expectOneLineError(await runCli(["migrate", "up"], { cwd, env: { DATABASE_URL: UNREACHABLE } }), cannotConnect);
      expectOneLineError(await runCli(["demo", "seed", "--database-url", UNREACHABLE], { cwd }), cannotConnect);
      expectOneLineError(
        await runCli(["migrate", "status", "--database-url", "mysql://root@db/x"], { cwd }),
        /^capgate: config_error: database URL must start with postgres:\/\//,
      );
      expectOneLineError(await runCli(["migrate", "up", "abc"], { cwd }), /^capgate: invalid_input: N must be a positive integer, got 'abc'$/);
      expectOneLineError(await runCli(["migrate", "down", "2", "--all"], { cwd }), /^capgate: invalid_input: give either N or --all/);
      expectOneLineError(await runCli(["migrate", "goto"], { cwd }), /missing required argument 'version'/);
      // None of these may have created an embedded primary as a side effect.
      expect(existsSync(join(cwd, ".capgate"))).toBe(false);
    },
    SLOW,
  );

  it(
    "a broken migrations folder is refused in one line before any primary is opened",
    async () => {
      const cwd = tempCwd();
      const missingDown = tempMigrations(1, { "000002_half.up.sql": "SELECT 1;" });
      const gap = tempMigrations(2, { "000004_skipped.up.sql": "SELECT 1;", "000004_skipped.down.sql": "SELECT 1;" });
      cleanups.push(missingDown.remove, gap.remove);
      expectOneLineError(
        await runCli(["migrate", "up", "--migrations", missingDown.dir], { cwd }),
        /^capgate: migration_error: missing 000002_half\.down\.sql in /,
      );
      expectOneLineError(
        await runCli(["migrate", "status", "--migrations", gap.dir], { cwd }),
        /^capgate: migration_error: gap in migration numbering .*expected version 3, found 000004_skipped$/,
      );
      expectOneLineError(
        await runCli(["migrate", "status", "--migrations", join(cwd, "nope")], { cwd }),
        /^capgate: migration_error: cannot read migrations folder .*nope: ENOENT$/,
      );
      expect(existsSync(join(cwd, ".capgate"))).toBe(false);
    },
    SLOW,
  );

  it(
    "a failing migration: one line naming file and SQL error, earlier ones applied, dirty until forced",
    async () => {
      const primary = await freshPrimaryFlags("cli_dirty");
      const folder = tempMigrations(2, {
        "000003_broken.up.sql": "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES ('x');\n",
        "000003_broken.down.sql": "DROP TABLE half_done;\n",
      });
      cleanups.push(folder.remove);
      const args = ["--migrations", folder.dir, ...primary];

      const up = await runCli(["migrate", "up", ...args]);
      expectOneLineError(
        up,
        /^capgate: .*000003_broken\.up\.sql:2:\d+: migration_error: migration 3 up failed: invalid input syntax for type integer.*22P02.*dirty at version 3/,
      );
      expect(up.stdout).toContain("000001_legacy_tables.up.sql");
      expect(up.stdout).toContain("000002_capability_tables.up.sql");

      const status = await runCli(["migrate", "status", ...args]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain("version: 3 of 3 (DIRTY");

      expectOneLineError(await runCli(["migrate", "up", ...args]), /^capgate: migration_error: database is dirty at version 3.*force/);
      expectOneLineError(await runCli(["migrate", "force", "7", ...args]), /^capgate: migration_error: no migration version 7/);
      const force = await runCli(["migrate", "force", "2", ...args]);
      expect(force.code, force.stderr).toBe(0);
      const clean = await runCli(["migrate", "status", ...args]);
      expect(clean.stdout).toContain("version: 2 of 3");
      expect(clean.stdout).toContain("pending  000003_broken");
    },
    SLOW,
  );

  if (serverUrl() !== undefined) {
    it(
      "two migrate up processes at once on the server: both succeed, one set applied",
      async () => {
        const db = await createTestDatabase("cli_race");
        cleanups.push(() => db.drop());
        const [a, b] = await Promise.all([
          runCli(["migrate", "up", "--database-url", db.url]),
          runCli(["migrate", "up", "--database-url", db.url]),
        ]);
        expect([a.code, b.code]).toEqual([0, 0]);
        const outputs = [a.stdout, b.stdout].sort();
        expect(outputs.filter((o) => o.includes("no change")).length + outputs.filter((o) => o.includes("applied")).length).toBe(2);
        expect(outputs.join("").match(/applied /g)).toHaveLength(LATEST);
        const status = await runCli(["migrate", "status", "--database-url", db.url]);
        expect(status.stdout).toContain(`version: ${LATEST} of ${LATEST}`);
      },
      SLOW,
    );
  }
});
