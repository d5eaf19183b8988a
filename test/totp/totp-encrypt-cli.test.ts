// `capgate totp encrypt-secrets` as an operator runs it (the built CLI in a
// child process) against a real primary holding migrated legacy users: no key
// or a bad key is one line and writes nothing; with the key from --config or
// CAPGATE_TOTP_ENCRYPTION_KEY it prints one summary line and never a secret;
// afterwards a real server's /mfa/totp/verify accepts a migrated user's code;
// --refresh makes it follow a re-enrollment in the legacy application.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/index.js";
import { openPrimary, type Primary } from "../../src/primary/index.js";
import { decodeKey, decryptTotpSecret } from "../../src/totp/index.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { insertLegacyUsers, LEGACY_TENANT, newSecret, storedJwes, type LegacyUser } from "../helpers/legacy-totp.js";
import { createPgliteDir, createTestDatabase, serverUrl } from "../helpers/primary.js";
import { newEncryptionKey, post, startTestServer, tempDir, writeSigningKey } from "../server/helpers.js";

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIGRATED: LegacyUser[] = [1, 2, 3].map((i) => ({ id: `u-legacy-${i}`, secret: newSecret() }));
const BROKEN: LegacyUser = { id: "u-x", secret: "NOT BASE32 !" };
const KEY = newEncryptionKey();
// The operator's environment must not hand the command a key or a primary the test did not choose.
const CLEAN_ENV = { CAPGATE_TOTP_ENCRYPTION_KEY: undefined, CAPGATE_DATABASE_URL: undefined };

const cleanups: Array<() => Promise<void> | void> = [];
let tmp: ReturnType<typeof tempDir>;
let target: { databaseUrl: string } | { dataDir: string };
let primaryFlags: string[];
let configFile: string;

/** Flags for a fresh, empty primary of the default engine. */
async function freshPrimary(area: string): Promise<{ flags: string[]; target: typeof target }> {
  if (serverUrl() !== undefined) {
    const db = await createTestDatabase(area);
    cleanups.push(() => db.drop());
    return { flags: ["--database-url", db.url], target: { databaseUrl: db.url } };
  }
  const dir = await createPgliteDir();
  cleanups.push(() => dir.remove());
  return { flags: ["--data-dir", dir.dataDir], target: { dataDir: dir.dataDir } };
}

/** The primary is opened only around each check: an embedded one admits one process at a time. */
async function withDb<T>(fn: (p: Primary) => Promise<T>): Promise<T> {
  const p = await openPrimary(target);
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

function writeConfig(name: string, text: string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, text);
  return file;
}

function encrypt(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(["totp", "encrypt-secrets", ...args], { env: { ...CLEAN_ENV, ...env } });
}

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe("");
}

async function expectNothingWritten(): Promise<void> {
  const jwes = await withDb(storedJwes);
  expect([...jwes.values()].every((j) => j === null)).toBe(true);
}

/** A real sidecar reading TOTP secrets from this suite's primary, with its clock at T0. */
async function withTotpServer(fn: (url: string) => Promise<void>): Promise<void> {
  const signingKeyFile = await writeSigningKey(tmp.dir);
  const shared = "dataDir" in target ? await openPrimary(target) : undefined;
  const server = await startTestServer(
    tmp.dir,
    {
      totp: { encryption_key: KEY },
      assertion: { signing_key_file: signingKeyFile },
      ...("databaseUrl" in target ? { database_url: target.databaseUrl } : {}),
    },
    { clock: () => T0, ...(shared !== undefined ? { primary: shared } : {}) },
  );
  try {
    await fn(server.url);
  } finally {
    await server.close();
    await shared?.close();
  }
}

beforeAll(async () => {
  tmp = tempDir("capgate-totp-cli-");
  cleanups.push(() => tmp.remove());
  ({ flags: primaryFlags, target } = await freshPrimary("totpcli"));
  await withDb(async (p) => {
    await migrate(p, { up: "all" });
    await insertLegacyUsers(p, [...MIGRATED, BROKEN]);
  });
  configFile = writeConfig("capgate.yaml", `totp:\n  encryption_key: ${KEY}\n`);
});

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("capgate totp encrypt-secrets", () => {
  it("without a key: one line, a non-zero exit, nothing written", async () => {
    const noKey = writeConfig("no-key.yaml", "totp:\n  window: 1\n");
    for (const args of [primaryFlags, [...primaryFlags, "--config", noKey]])
      expectOneLineError(await encrypt(args), /^capgate: config_error: totp\.encryption_key is not set: give --config FILE/);
    await expectNothingWritten();
  });

  it("with a key that is not base64url of 32 bytes: one line that does not repeat it, nothing written", async () => {
    const short = "c2hvcnQta2V5";
    const badFile = writeConfig("bad-key.yaml", "totp:\n  encryption_key: 'not a key!'\n");
    const runs = [await encrypt(primaryFlags, { CAPGATE_TOTP_ENCRYPTION_KEY: short }), await encrypt([...primaryFlags, "--config", badFile])];
    for (const r of runs) {
      expectOneLineError(r, /^capgate: config_error: totp\.encryption_key: must be base64url of exactly 32 bytes$/);
      expect(r.stderr).not.toContain(short);
    }
    await expectNothingWritten();
  });

  it("with the key from --config: encrypts, prints one summary line, and no secret or key", async () => {
    const r = await encrypt([...primaryFlags, "--config", configFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      /^encrypted 3 TOTP secret\(s\) into user_capability_state\.data\.secret_jwe on \S+; 1 skipped \(not base32\): u-x\n$/,
    );
    for (const s of [...MIGRATED.map((u) => u.secret!), BROKEN.secret!, KEY]) expect(r.stdout + r.stderr).not.toContain(s);
    const jwes = await withDb(storedJwes);
    for (const u of MIGRATED) expect(await decryptTotpSecret(jwes.get(u.id)!, u.id, decodeKey(KEY))).toBe(u.secret);
    expect(jwes.get(BROKEN.id)).toBeNull();
  });

  it("a rerun (key from CAPGATE_TOTP_ENCRYPTION_KEY) writes nothing, and says when nothing needed doing", async () => {
    const before = await withDb(storedJwes);
    const again = await encrypt(primaryFlags, { CAPGATE_TOTP_ENCRYPTION_KEY: KEY });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^encrypted 0 TOTP secret\(s\) .*; 1 skipped \(not base32\): u-x\n$/);
    expect(await withDb(storedJwes)).toEqual(before);

    // Once the broken secret is cleared, there is nothing left to do. On a server the
    // primary comes from the config's database_url, as `capgate serve` reads it.
    await withDb((p) => p.query(`UPDATE users SET mfa_secret = NULL WHERE id = $1`, [BROKEN.id]));
    const args =
      "databaseUrl" in target
        ? ["--config", writeConfig("with-url.yaml", `database_url: ${target.databaseUrl}\ntotp:\n  encryption_key: ${KEY}\n`)]
        : [...primaryFlags, "--config", configFile];
    const idle = await encrypt(args);
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.stdout).toMatch(/^nothing to encrypt on \S+: every user enrolled in totp with a legacy secret has user_capability_state\.data\.secret_jwe\n$/);
    expect(await withDb(storedJwes)).toEqual(before);
  });

  it("afterwards a real server verifies a migrated user's code", async () => {
    await withTotpServer(async (url) => {
      const user = MIGRATED[1]!;
      const code = await generate({ secret: user.secret!, epoch: Math.floor(T0 / 1000) });
      const ok = await post(url, "/mfa/totp/verify", { tenant_id: LEGACY_TENANT, user_id: user.id, code });
      expect(ok.json).toMatchObject({ verified: true });
      const skipped = await post(url, "/mfa/totp/verify", { tenant_id: LEGACY_TENANT, user_id: BROKEN.id, code });
      expect(skipped.json).toMatchObject({ verified: false, reason: "not_enrolled" });
    });
  });

  it("--refresh follows a re-enrollment in the legacy application: the new secret verifies, the old one no longer does", async () => {
    const user = MIGRATED[0]!;
    const replaced = newSecret();
    await withDb((p) => p.query(`UPDATE users SET mfa_secret = $2 WHERE id = $1`, [user.id, replaced]));
    const r = await encrypt([...primaryFlags, "--config", configFile, "--refresh"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^encrypted 0 TOTP secret\(s\) .*; re-encrypted 1 changed since \(re-enrolled in the legacy application\)\n$/);
    for (const secret of [user.secret!, replaced, KEY]) expect(r.stdout + r.stderr).not.toContain(secret);
    await withTotpServer(async (url) => {
      const epoch = Math.floor(T0 / 1000);
      const stale = await post(url, "/mfa/totp/verify", { tenant_id: LEGACY_TENANT, user_id: user.id, code: await generate({ secret: user.secret!, epoch }) });
      expect(stale.json).toMatchObject({ verified: false });
      const fresh = await post(url, "/mfa/totp/verify", { tenant_id: LEGACY_TENANT, user_id: user.id, code: await generate({ secret: replaced, epoch }) });
      expect(fresh.json).toMatchObject({ verified: true });
    });
  });

  it("on a primary that is not migrated: one line naming what to run", async () => {
    const empty = await freshPrimary("totpcli_empty");
    expectOneLineError(
      await encrypt([...empty.flags, "--config", configFile]),
      /^capgate: migration_error: the primary is at migration version none; run `capgate migrate up` first/,
    );
  });
});
