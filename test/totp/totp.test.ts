// POST /mfa/totp/verify over real HTTP against a real primary: a valid code
// gives a signed assertion, a replay is refused (also by a second sidecar on
// the same primary), consecutive failures lock the user out until the lockout
// expires, and without a key the route says it is not configured. Time is an
// injected clock; codes come from otplib for that time.
import { readFileSync } from "node:fs";
import { createLocalJWKSet, exportJWK, importJWK, jwtVerify, type JWK } from "jose";
import { createGuardrails, generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import type { RunningServer } from "../../src/server/server.js";
import { decodeKey, encryptTotpSecret, OTPLIB_MIN_SECRET_BYTES } from "../../src/totp/index.js";
import { createTestPrimary, newEncryptionKey, post, startTestServer, tempDir, writeSigningKey, type TestPrimary } from "../server/helpers.js";

const ALICE_SECRET = "MHV4JXMOFCETFHBQHOS4N65C5AXW2GXD"; // the demo seed's secret for u-alice
const DAVE_SECRET = "EGJOCKHM7JVCNL7MQUPEIGVZBRSLECJ2";
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let key: string;
let signingKeyFile: string;
let now = T0;
const clock = () => now;
let a: RunningServer & { decisionLogFile: string };
let b: RunningServer & { decisionLogFile: string };
let unconfigured: RunningServer;
/** A sidecar on the same primary that accepts 80-bit secrets (totp.min_secret_bytes: 10). */
let shortSecrets: RunningServer;

const code = (secret: string, atMs = now) => generate({ secret, epoch: Math.floor(atMs / 1000) });
const verify = (server: RunningServer, body: Record<string, unknown>) => post(server.url, "/mfa/totp/verify", body);

async function store(userId: string, secret: string): Promise<void> {
  const jwe = await encryptTotpSecret(secret, userId, decodeKey(key));
  await db.primary.query(
    `UPDATE user_capability_state SET data = jsonb_build_object('secret_jwe', $2::text)
      WHERE user_id = $1 AND capability_key = 'totp'`,
    [userId, jwe],
  );
}

beforeAll(async () => {
  tmp = tempDir("capgate-totp-");
  db = await createTestPrimary("totp");
  await migrate(db.primary, { up: "all" });
  await seedDemo(db.primary);
  key = newEncryptionKey();
  signingKeyFile = await writeSigningKey(tmp.dir);
  await store("u-alice", ALICE_SECRET);
  await store("u-dave", DAVE_SECRET);
  const totp = { encryption_key: key, lockout_threshold: 3, lockout_seconds: 120 };
  // Two sidecars sharing one primary: over the server's URL when there is one
  // (each with its own pool), else the same embedded engine.
  const shared = db.url === undefined ? { primary: db.primary } : {};
  const flags = { totp, assertion: { signing_key_file: signingKeyFile, ttl_seconds: 120 }, ...(db.url ? { database_url: db.url } : {}) };
  a = await startTestServer(tmp.dir, flags, { clock, ...shared });
  b = await startTestServer(tmp.dir, flags, { clock, ...shared });
  unconfigured = await startTestServer(tmp.dir, { assertion: { signing_key_file: signingKeyFile } }, { clock });
  shortSecrets = await startTestServer(tmp.dir, { ...flags, totp: { ...totp, min_secret_bytes: 10 } }, { clock, ...shared });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await unconfigured?.close();
  await shortSecrets?.close();
  await db?.drop();
  tmp?.remove();
});

describe("TOTP verification", () => {
  it("accepts a valid code once and returns a signed assertion with amr otp", async () => {
    now = T0;
    const r = await verify(a, { tenant_id: "acme", user_id: "u-alice", code: await code(ALICE_SECRET) });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ verified: true, expires_in: 120 });
    const jwk = JSON.parse(readFileSync(signingKeyFile, "utf8")) as JWK;
    const pub = await exportJWK(await importJWK({ kty: "EC", crv: jwk.crv!, x: jwk.x!, y: jwk.y! }, "ES256"));
    const { payload, protectedHeader } = await jwtVerify(String(r.json["assertion"]), createLocalJWKSet({ keys: [{ ...pub, kid: "assert-1" }] }), {
      currentDate: new Date(now),
      issuer: "capgate",
    });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({ sub: "u-alice", tenant_id: "acme", amr: ["otp"] });
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it("refuses the same code again, on the same sidecar and on a second one sharing the primary", async () => {
    now = T0 + 5_000; // same 30 s step as the first test
    const c = await code(ALICE_SECRET, T0);
    expect((await verify(a, { tenant_id: "acme", user_id: "u-alice", code: c })).json).toMatchObject({ verified: false, reason: "code_already_used" });
    expect((await verify(b, { tenant_id: "acme", user_id: "u-alice", code: c })).json).toMatchObject({ verified: false, reason: "code_already_used" });
  });

  it("accepts one step of drift either side and refuses two", async () => {
    now = T0 + 10 * 60_000;
    const farBehind = await code(DAVE_SECRET, now - 90_000);
    expect((await verify(b, { tenant_id: "globex", user_id: "u-dave", code: farBehind })).json).toMatchObject({ verified: false, reason: "invalid_code" });
    // The success also resets the failure count the refused code started.
    const ahead = await code(DAVE_SECRET, now + 30_000);
    expect((await verify(b, { tenant_id: "globex", user_id: "u-dave", code: ahead })).json).toMatchObject({ verified: true });
  });

  it("locks the user out after consecutive failures, on every sidecar, until the lockout expires", async () => {
    now = T0 + 20 * 60_000;
    const good = await code(DAVE_SECRET);
    const wrong = good === "000000" ? "111111" : "000000";
    expect((await verify(a, { tenant_id: "globex", user_id: "u-dave", code: wrong })).json).toMatchObject({ reason: "invalid_code" });
    expect((await verify(b, { tenant_id: "globex", user_id: "u-dave", code: wrong })).json).toMatchObject({ reason: "invalid_code" });
    const third = await verify(a, { tenant_id: "globex", user_id: "u-dave", code: wrong });
    expect(third.json).toMatchObject({ verified: false, reason: "locked_out", retry_after_seconds: 120 });
    // Even the right code is refused while locked out, by either sidecar.
    now += 60_000;
    const during = await verify(b, { tenant_id: "globex", user_id: "u-dave", code: await code(DAVE_SECRET) });
    expect(during.json).toMatchObject({ verified: false, reason: "locked_out", retry_after_seconds: 60 });
    now += 61_000;
    const after = await verify(a, { tenant_id: "globex", user_id: "u-dave", code: await code(DAVE_SECRET) });
    expect(after.json).toMatchObject({ verified: true });
  });

  it("starts a fresh count after success", async () => {
    now = T0 + 40 * 60_000;
    const good = await code(DAVE_SECRET);
    const wrong = good === "000000" ? "111111" : "000000";
    await verify(a, { tenant_id: "globex", user_id: "u-dave", code: wrong });
    await verify(a, { tenant_id: "globex", user_id: "u-dave", code: wrong });
    expect((await verify(a, { tenant_id: "globex", user_id: "u-dave", code: good })).json).toMatchObject({ verified: true });
    now += 30_000;
    expect((await verify(a, { tenant_id: "globex", user_id: "u-dave", code: wrong })).json).toMatchObject({ reason: "invalid_code" });
  });

  it("refuses a user of another tenant, an unknown user and a user without a stored secret", async () => {
    now = T0 + 60 * 60_000;
    const c = await code(ALICE_SECRET);
    expect((await verify(a, { tenant_id: "globex", user_id: "u-alice", code: c })).json).toMatchObject({ verified: false, reason: "unknown_user" });
    expect((await verify(a, { tenant_id: "acme", user_id: "u-nobody", code: c })).json).toMatchObject({ verified: false, reason: "unknown_user" });
    // u-erin is enrolled in totp by the data migration, but her secret is not stored encrypted.
    expect((await verify(a, { tenant_id: "initech", user_id: "u-erin", code: c })).json).toMatchObject({ verified: false, reason: "not_enrolled" });
  });

  it("answers not_configured without an encryption key and a primary", async () => {
    const r = await verify(unconfigured, { tenant_id: "acme", user_id: "u-alice", code: "123456" });
    expect(r.status).toBe(503);
    expect(r.json).toEqual({
      error: {
        code: "not_configured",
        message: "TOTP verification is not configured: missing totp.encryption_key, database_url",
        details: { missing: ["totp.encryption_key", "database_url"] },
      },
    });
  });

  it("refuses a stored secret too short to verify with (80 bits) as secret_unusable, without counting a failure", async () => {
    now = T0 + 3_600_000;
    const short = "JBSWY3DPEHPK3PXP";
    await store("u-dave", short);
    try {
      const r = await verify(a, { tenant_id: "globex", user_id: "u-dave", code: await code(DAVE_SECRET) });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ verified: false, reason: "secret_unusable" });
    } finally {
      await store("u-dave", DAVE_SECRET);
    }
    expect((await verify(a, { tenant_id: "globex", user_id: "u-dave", code: await code(DAVE_SECRET) })).json).toMatchObject({ verified: true });
  });

  it("accepts an 80-bit secret only where totp.min_secret_bytes allows it", async () => {
    now = T0 + 7_200_000;
    const short = "JBSWY3DPEHPK3PXP";
    const shortCode = await generate({ secret: short, epoch: Math.floor(now / 1000), guardrails: createGuardrails({ MIN_SECRET_BYTES: 10 }) });
    await store("u-dave", short);
    try {
      const refused = await verify(a, { tenant_id: "globex", user_id: "u-dave", code: shortCode });
      expect(refused.json).toMatchObject({ verified: false, reason: "secret_unusable" });
      const accepted = await verify(shortSecrets, { tenant_id: "globex", user_id: "u-dave", code: shortCode });
      expect(accepted.json).toMatchObject({ verified: true });
      // Still single-use across sidecars: the step is claimed on the shared primary.
      const replay = await verify(shortSecrets, { tenant_id: "globex", user_id: "u-dave", code: shortCode });
      expect(replay.json).toMatchObject({ verified: false, reason: "code_already_used" });
    } finally {
      await store("u-dave", DAVE_SECRET);
    }
  });

  it("knows otplib's default shortest secret without loading otplib at start-up (the warning below 128 bits depends on it)", () => {
    expect(OTPLIB_MIN_SECRET_BYTES).toBe(createGuardrails().MIN_SECRET_BYTES);
  });

  it("never writes a code, a secret or an assertion to the decision log", async () => {
    await a.decisionLog.flush();
    const text = readFileSync(a.decisionLogFile, "utf8");
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      expect(l["decision"]).toBe("mfa.totp.verify");
      expect((l["input"] as Record<string, unknown>)["code"]).toBe("[masked]");
      const result = l["result"] as Record<string, unknown>;
      if (result["verified"] === true) expect(result["assertion"]).toBe("[masked]");
    }
    expect(text).not.toMatch(/"\d{6}"/);
    expect(text).not.toContain(ALICE_SECRET);
    expect(text).not.toContain("eyJ");
  });
});
