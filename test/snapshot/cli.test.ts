// The snapshot and sync commands as an operator runs them: real processes on
// an embedded primary directory, one-line errors and exit codes, no progress
// bar when stderr is not a terminal.
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { freshPrimary, type TestPrimary } from "../replica/fixture.js";
import { capgateCommand } from "../helpers/cli.js";
import { loadMigrations } from "../../src/migrate/index.js";
import { SHIPPED_MIGRATIONS } from "../helpers/migrations-dir.js";

/** The schema version a fully migrated primary is at. */
const LATEST = loadMigrations(SHIPPED_MIGRATIONS).length;

let tp: TestPrimary;
let dir: string;
/** The server database of this test when there is one, else an embedded primary directory. */
let primaryArgs: string[];

function capgate(...args: string[]): { code: number; stdout: string; stderr: string } {
  const [node, bin] = capgateCommand() as [string, string];
  const r = spawnSync(node, [bin, ...args], {
    cwd: dir, encoding: "utf8", env: { ...process.env, DATABASE_URL: "" },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  tp = await freshPrimary("cli");
  dir = tp.dir;
  if (tp.url) {
    primaryArgs = ["--database-url", tp.url];
  } else {
    // The CLI opens the embedded primary itself; this process must let go of it.
    await tp.primary.close();
    primaryArgs = ["--data-dir", tp.dataDir!];
  }
});
afterAll(async () => {
  await tp?.close();
});

it("exports signed, verifies, applies, syncs and prunes from the command line", () => {
  expect(capgate("snapshot", "keygen", "-o", "k", "--alg", "ES256").code).toBe(0);
  const ex = capgate("snapshot", "export", ...primaryArgs, "-o", "s.snapshot", "--sign-key", "k.key.pem");
  expect(ex.code).toBe(0);
  expect(ex.stderr).toBe("");
  expect(ex.stdout).toMatch(new RegExp(`s\\.snapshot: ok: .*schema ${LATEST}.*signed \\(ES256\\)`));
  expect(capgate("snapshot", "verify", "s.snapshot", "--key", "k.pub.pem").stdout).toMatch(/signature ok \(ES256\)/);
  expect(JSON.parse(capgate("snapshot", "inspect", "s.snapshot").stdout)).toMatchObject({ format: "capgate-snapshot", schema_version: LATEST });
  const ap = capgate("snapshot", "apply", "s.snapshot", "--replica", "r.db", "--key", "k.pub.pem");
  expect(ap.code).toBe(0);
  expect(ap.stderr).toBe("");
  expect(capgate("sync", ...primaryArgs, "--replica", "r.db").stdout).toMatch(/applied 0 changes/);
  // Primary options before or after the subcommand name reach it either way.
  expect(capgate("sync", ...primaryArgs, "prune", "--keep", "1d").stdout).toMatch(/pruned 0 change-log rows/);
  expect(capgate("sync", "prune", ...primaryArgs, "--keep", "0s").stdout).toMatch(/pruned 0 change-log rows/);
}, 600_000);

it("answers garbage with one line and a non-zero exit", () => {
  const text = readFileSync(join(dir, "s.snapshot"), "utf8");
  writeFileSync(join(dir, "bad.snapshot"), text.replace('"max_token_ttl"', '"max_token_tt1"'));
  for (const args of [
    ["snapshot", "verify", "bad.snapshot"],
    ["snapshot", "apply", "bad.snapshot", "--replica", "r.db"],
    ["snapshot", "verify", "missing.snapshot"],
    ["snapshot", "export", ...primaryArgs, "-o", "x.snapshot", "--sign-key", "nope.pem"],
    ["snapshot", "keygen", "-o", "z", "--alg", "RS256"],
    ["sync", "prune", ...primaryArgs, "--keep", "soon"],
    ["sync", ...primaryArgs, "--replica", "r.db", "--poll-interval", "fast"],
  ]) {
    const r = capgate(...args);
    expect(r.code, args.join(" ")).not.toBe(0);
    expect(r.stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
    expect(r.stderr).toMatch(/^capgate: (snapshot_error|config_error|invalid_input): /);
  }
  // The refused apply left the replica as it was.
  expect(capgate("snapshot", "verify", "s.snapshot").code).toBe(0);
}, 600_000);
