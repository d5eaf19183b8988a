// The TOTP rules an attacker probes (issue 14, items 1-3), over real HTTP
// against two real sidecars sharing one real PostgreSQL primary: a burst of
// concurrent guesses checks at most lockout_threshold codes; once a step was
// used, that step and older ones are refused and such replays never lock the
// user out; lockouts are kept per (tenant, user). Time is an injected clock.
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import type { RunningServer } from "../../src/server/server.js";
import { decodeKey, encryptTotpSecret, primaryTotpStore } from "../../src/totp/index.js";
import { createTestPrimary, newEncryptionKey, post, startTestServer, tempDir, writeSigningKey, type TestPrimary } from "../server/helpers.js";

const SECRETS: Record<string, string> = {
  "u-alice": "MHV4JXMOFCETFHBQHOS4N65C5AXW2GXD",
  "u-dave": "EGJOCKHM7JVCNL7MQUPEIGVZBRSLECJ2",
  "u-grace": "KRUGS4ZANFZSAYJAON2HEZLDOJSXIIDU",
};
const TENANT: Record<string, string> = { "u-alice": "acme", "u-dave": "globex", "u-grace": "hooli" };
const THRESHOLD = 5;
const PERIOD_MS = 30_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let now = T0;
const clock = () => now;
let a: RunningServer;
let b: RunningServer;

const code = (user: string, atMs = now) => generate({ secret: SECRETS[user]!, epoch: Math.floor(atMs / 1000) });
const verify = (server: RunningServer, user: string, c: string, tenant = TENANT[user]!) =>
  post(server.url, "/mfa/totp/verify", { tenant_id: tenant, user_id: user, code: c });

/** A six-digit code that is none of `avoid`. */
function wrongCode(i: number, avoid: string[]): string {
  for (let n = i; ; n += 7919) {
    const c = String(n % 1_000_000).padStart(6, "0");
    if (!avoid.includes(c)) return c;
  }
}

beforeAll(async () => {
  tmp = tempDir("capgate-totp-hardening-");
  db = await createTestPrimary("totp_hardening");
  // Two sidecars with their own connection pools need a server, not the embedded engine.
  if (db.url === undefined) throw new Error("CAPGATE_TEST_DATABASE_URL must name a PostgreSQL server for this suite");
  await migrate(db.primary, { goto: 7 });
  await seedDemo(db.primary);
  const key = newEncryptionKey();
  for (const [user, secret] of Object.entries(SECRETS)) {
    const jwe = await encryptTotpSecret(secret, user, decodeKey(key));
    await db.primary.query(
      `INSERT INTO user_capability_state (user_id, capability_key, status, data, source)
       VALUES ($1, 'totp', 'enrolled', jsonb_build_object('secret_jwe', $2::text), 'admin')
       ON CONFLICT (user_id, capability_key) DO UPDATE SET status = 'enrolled', data = EXCLUDED.data`,
      [user, jwe],
    );
  }
  const flags = {
    database_url: db.url,
    totp: { encryption_key: key, lockout_threshold: THRESHOLD, lockout_seconds: 900 },
    assertion: { signing_key_file: await writeSigningKey(tmp.dir) },
  };
  a = await startTestServer(tmp.dir, flags, { clock });
  b = await startTestServer(tmp.dir, flags, { clock });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
  tmp?.remove();
});

describe("TOTP lockout under concurrency", () => {
  it("checks at most lockout_threshold codes of a burst of 303 spread over two sidecars", async () => {
    now = T0;
    const valid = await Promise.all([code("u-alice", now - PERIOD_MS), code("u-alice", now), code("u-alice", now + PERIOD_MS)]);
    const codes = Array.from({ length: 303 }, (_, i) => wrongCode(i * 3301 + 17, valid));
    codes[60] = valid[0]!;
    codes[150] = valid[1]!;
    codes[300] = valid[2]!;
    // Connections opened beforehand, so the burst reaches the sidecars at once.
    await Promise.all(codes.map((_, i) => fetch(`${(i % 2 === 0 ? a : b).url}/health`).then((r) => r.text())));
    const answers = await Promise.all(codes.map((c, i) => verify(i % 2 === 0 ? a : b, "u-alice", c)));
    const counts: Record<string, number> = {};
    for (const r of answers) {
      expect(r.status).toBe(200);
      const outcome = r.json["verified"] === true ? "verified" : String(r.json["reason"]);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    console.log(`burst of 303 (threshold ${THRESHOLD}, valid codes at 60/150/300, two sidecars): answers ${JSON.stringify(counts)}`);
    expect((counts["invalid_code"] ?? 0) + (counts["verified"] ?? 0) + (counts["code_already_used"] ?? 0)).toBeLessThanOrEqual(THRESHOLD);
    expect(counts["verified"] ?? 0).toBe(0);
    // Every code checked went through a reservation, which the primary numbers.
    const { rows } = await db.primary.query<{ checked: number; failures: number }>(
      `SELECT attempt_seq::int AS checked, consecutive_failures AS failures FROM totp_verification_state WHERE tenant_id = 'acme' AND user_id = 'u-alice'`,
    );
    console.log(`codes checked, per the primary: ${JSON.stringify(rows[0])}`);
    expect(rows[0]!.checked).toBeLessThanOrEqual(THRESHOLD);
    expect(rows[0]!.failures).toBe(THRESHOLD);
    // The lockout holds for a valid code sent afterwards, on either sidecar.
    expect((await verify(b, "u-alice", valid[1]!)).json).toMatchObject({ verified: false, reason: "locked_out" });
  });

  it("lets a reservation whose sidecar never settled it lapse instead of holding the budget", async () => {
    const store = primaryTotpStore(db.primary);
    const subject = { tenantId: "hooli", userId: "u-grace" };
    const rules = { threshold: THRESHOLD, lockoutSeconds: 900 };
    const start = T0 + 3 * 3_600_000;
    for (let i = 0; i < THRESHOLD; i++) expect((await store.reserve(subject, start, rules)).granted).toBe(true);
    expect(await store.reserve(subject, start + 1_000, rules)).toMatchObject({ granted: false, lockout: { lockedUntilMs: null } });
    expect((await store.reserve(subject, start + 61_000, rules)).granted).toBe(true);
  });
});

describe("TOTP time steps (RFC 6238 section 5.2)", () => {
  it("refuses the current and the previous step's code once the next step's code was used, on any sidecar", async () => {
    now = T0 + 3_600_000;
    expect((await verify(a, "u-dave", await code("u-dave", now + PERIOD_MS))).json).toMatchObject({ verified: true });
    expect((await verify(b, "u-dave", await code("u-dave", now))).json).toMatchObject({ verified: false, reason: "code_already_used" });
    expect((await verify(a, "u-dave", await code("u-dave", now - PERIOD_MS))).json).toMatchObject({ verified: false, reason: "code_already_used" });
    // A newer step is still accepted.
    now += 2 * PERIOD_MS;
    expect((await verify(b, "u-dave", await code("u-dave"))).json).toMatchObject({ verified: true });
  });

  it("refuses replays without counting them towards the lockout, sent one after another or at once", async () => {
    now = T0 + 2 * 3_600_000;
    const used = await code("u-dave");
    expect((await verify(a, "u-dave", used)).json).toMatchObject({ verified: true });
    for (let i = 0; i < THRESHOLD * 2; i++)
      expect((await verify(i % 2 === 0 ? a : b, "u-dave", used)).json).toMatchObject({ verified: false, reason: "code_already_used" });
    const burst = await Promise.all(Array.from({ length: THRESHOLD * 4 }, (_, i) => verify(i % 2 === 0 ? a : b, "u-dave", used)));
    expect(burst.map((r) => r.json["reason"])).toEqual(Array(THRESHOLD * 4).fill("code_already_used"));
    // The legitimate user is not locked out: the next step's code verifies.
    now += PERIOD_MS;
    expect((await verify(b, "u-dave", await code("u-dave"))).json).toMatchObject({ verified: true });
  });

  it("accepts exactly one of a code sent twice at once", async () => {
    now = T0 + 4 * 3_600_000;
    const c = await code("u-grace");
    const both = await Promise.all([verify(a, "u-grace", c), verify(b, "u-grace", c)]);
    expect(both.map((r) => r.json["verified"] === true || r.json["reason"]).sort()).toEqual(["code_already_used", true].sort());
  });
});

describe("TOTP lockouts per tenant", () => {
  it("a user locked out in their tenant is unknown to a caller naming another tenant, and that caller moves no counter", async () => {
    now = T0 + 5 * 3_600_000;
    const good = await code("u-grace");
    const wrong = wrongCode(1, [good]);
    for (let i = 0; i < THRESHOLD - 1; i++) expect((await verify(a, "u-grace", wrong)).json).toMatchObject({ reason: "invalid_code" });
    expect((await verify(a, "u-grace", wrong)).json).toMatchObject({ reason: "locked_out" });
    // Another tenant's caller sees no lockout of this user, only that the user is not theirs.
    expect((await verify(b, "u-grace", good, "acme")).json).toEqual(expect.objectContaining({ verified: false, reason: "unknown_user" }));

    // Guesses naming another tenant never count against u-dave in globex.
    now = T0 + 6 * 3_600_000;
    const daveGood = await code("u-dave");
    for (let i = 0; i < THRESHOLD * 2; i++)
      expect((await verify(a, "u-dave", wrongCode(i, [daveGood]), "acme")).json).toMatchObject({ reason: "unknown_user" });
    expect((await verify(b, "u-dave", daveGood)).json).toMatchObject({ verified: true });
    const { rows } = await db.primary.query<{ tenant_id: string; user_id: string }>(
      `SELECT tenant_id, user_id FROM totp_verification_state ORDER BY tenant_id, user_id`,
    );
    expect(rows).toEqual([
      { tenant_id: "acme", user_id: "u-alice" },
      { tenant_id: "globex", user_id: "u-dave" },
      { tenant_id: "hooli", user_id: "u-grace" },
    ]);
  });
});

describe("migration 000007", () => {
  it("carries 000006's failures and used steps over per (tenant, user), and its down brings them back", async () => {
    const m = await createTestPrimary("totp_000007");
    try {
      await migrate(m.primary, { goto: 6 });
      await seedDemo(m.primary);
      await m.primary.query(`INSERT INTO totp_used_steps (user_id, time_step) VALUES ('u-alice', 100), ('u-alice', 102), ('u-dave', 7)`);
      await m.primary.query(`INSERT INTO totp_failures (user_id, consecutive_failures, locked_until) VALUES ('u-dave', 3, '2030-01-01T00:00:00Z')`);
      await migrate(m.primary, { goto: 7 });
      const state = await m.primary.query(
        `SELECT tenant_id, user_id, consecutive_failures, locked_until IS NOT NULL AS locked, last_step::int FROM totp_verification_state ORDER BY user_id`,
      );
      expect(state.rows).toEqual([
        { tenant_id: "acme", user_id: "u-alice", consecutive_failures: 0, locked: false, last_step: 102 },
        { tenant_id: "globex", user_id: "u-dave", consecutive_failures: 3, locked: true, last_step: 7 },
      ]);
      await migrate(m.primary, { goto: 6 });
      expect((await m.primary.query(`SELECT user_id, time_step::int FROM totp_used_steps ORDER BY user_id`)).rows).toEqual([
        { user_id: "u-alice", time_step: 102 },
        { user_id: "u-dave", time_step: 7 },
      ]);
      expect((await m.primary.query(`SELECT user_id, consecutive_failures FROM totp_failures`)).rows).toEqual([{ user_id: "u-dave", consecutive_failures: 3 }]);
      expect((await m.primary.query(`SELECT to_regclass('totp_verification_state') IS NULL AS gone, to_regclass('totp_enrollments') IS NULL AS e`)).rows).toEqual([{ gone: true, e: true }]);
    } finally {
      await m.drop();
    }
  });
});
