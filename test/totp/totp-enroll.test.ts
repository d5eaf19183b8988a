// TOTP enrollment on the sidecar (issue 16 item 4), over real HTTP against a
// real sidecar and a real PostgreSQL primary: start, confirm with a code
// otplib computes from the otpauth URI, then verify on /mfa/totp/verify; the
// audit row; a user already enrolled; an expired or replaced enrollment;
// unknown users and garbage bodies, each leaving the stored rows as they were.
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import type { RunningServer } from "../../src/server/server.js";
import { createTestPrimary, newEncryptionKey, post, startTestServer, tempDir, writeSigningKey, type TestPrimary } from "../server/helpers.js";

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const PERIOD_MS = 30_000;

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let now = T0;
const clock = () => now;
let sidecar: RunningServer;

const enroll = (body: unknown) => post(sidecar.url, "/mfa/totp/enroll", body);
const confirm = (body: unknown) => post(sidecar.url, "/mfa/totp/enroll/confirm", body);
const verify = (body: unknown) => post(sidecar.url, "/mfa/totp/verify", body);
const secretOf = (uri: string) => new URL(uri).searchParams.get("secret")!;
const code = (secret: string, atMs = now) => generate({ secret, epoch: Math.floor(atMs / 1000) });

/** Everything enrollment may write, to show that a refused request wrote nothing. */
async function storedRows(): Promise<unknown[]> {
  const { rows } = await db.primary.query(
    `SELECT 'pending' AS t, tenant_id || '/' || user_id || '/' || secret_jwe || '/' || expires_at AS v FROM totp_enrollments
     UNION ALL SELECT 'state', user_id || '/' || status || '/' || data::text FROM user_capability_state WHERE capability_key = 'totp'
     UNION ALL SELECT 'audit', count(*)::text FROM admin_audit
     ORDER BY 1, 2`,
  );
  return rows;
}

beforeAll(async () => {
  tmp = tempDir("capgate-totp-enroll-");
  db = await createTestPrimary("totp_enroll");
  await migrate(db.primary, { goto: 8 });
  await seedDemo(db.primary);
  const flags = {
    ...(db.url === undefined ? {} : { database_url: db.url }),
    totp: { encryption_key: newEncryptionKey(), lockout_threshold: 3, lockout_seconds: 300 },
    assertion: { signing_key_file: await writeSigningKey(tmp.dir) },
  };
  sidecar = await startTestServer(tmp.dir, flags, { clock, ...(db.url === undefined ? { primary: db.primary } : {}) });
});

afterAll(async () => {
  await sidecar?.close();
  await db?.drop();
  tmp?.remove();
});

describe("TOTP enrollment", () => {
  it("enrolls a user from start to a code verified on /mfa/totp/verify, audited, without the secret stored in clear", async () => {
    now = T0;
    const started = await enroll({ tenant_id: "acme", user_id: "u-bob" });
    expect(started.status).toBe(200);
    const { otpauth_uri: uri, qr_svg: svg, expires_at: expires } = started.json as Record<string, string>;
    expect(uri).toMatch(/^otpauth:\/\/totp\/capgate:u-bob\?/);
    expect(new URL(uri!).searchParams.get("issuer")).toBe("capgate");
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(expires).toBe(new Date(T0 + 600_000).toISOString());
    const secret = secretOf(uri!);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 20 random bytes
    const pending = await db.primary.query<{ jwe: string }>(`SELECT secret_jwe AS jwe FROM totp_enrollments WHERE tenant_id = 'acme' AND user_id = 'u-bob'`);
    expect(pending.rows[0]!.jwe.split(".")).toHaveLength(5);
    expect(pending.rows[0]!.jwe).not.toContain(secret);

    // Not usable for verification before it is confirmed.
    expect((await verify({ tenant_id: "acme", user_id: "u-bob", code: await code(secret) })).json).toMatchObject({ verified: false, reason: "not_enrolled" });

    now = T0 + 60_000;
    const wrong = (await code(secret)) === "000000" ? "111111" : "000000";
    expect((await confirm({ tenant_id: "acme", user_id: "u-bob", code: wrong })).json).toEqual({ enrolled: false, reason: "invalid_code" });
    const confirmed = await confirm({ tenant_id: "acme", user_id: "u-bob", code: await code(secret) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json).toEqual({ enrolled: true });

    const state = await db.primary.query<{ status: string; source: string; jwe: string | null; pending: number }>(
      `SELECT status, source, data->>'secret_jwe' AS jwe, (SELECT count(*)::int FROM totp_enrollments) AS pending
         FROM user_capability_state WHERE user_id = 'u-bob' AND capability_key = 'totp'`,
    );
    expect(state.rows).toEqual([{ status: "enrolled", source: "user", jwe: pending.rows[0]!.jwe, pending: 0 }]);
    const audit = await db.primary.query(`SELECT actor, action, tenant_id, target, before, after, request_id FROM admin_audit`);
    expect(audit.rows).toEqual([
      { actor: "user:u-bob", action: "totp.enroll", tenant_id: "acme", target: "users/u-bob/totp", before: null, after: { status: "enrolled" }, request_id: null },
    ]);

    // The confirming code is used; the next step's code verifies and gives an assertion.
    expect((await verify({ tenant_id: "acme", user_id: "u-bob", code: await code(secret) })).json).toMatchObject({ verified: false, reason: "code_already_used" });
    now += PERIOD_MS;
    const verified = await verify({ tenant_id: "acme", user_id: "u-bob", code: await code(secret) });
    expect(verified.json).toMatchObject({ verified: true });
    expect(typeof verified.json["assertion"]).toBe("string");
  });

  it("refuses a new enrollment, and a confirmation, for a user already enrolled (409 already_enrolled)", async () => {
    const before = await storedRows();
    const again = await enroll({ tenant_id: "acme", user_id: "u-bob" });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      error: {
        code: "invalid_input",
        message: 'user_id: user "u-bob" is already enrolled in TOTP; an administrator must reset it before a new enrollment',
        details: { field: "user_id", problem: "already_enrolled" },
      },
    });
    expect((await confirm({ tenant_id: "acme", user_id: "u-bob", code: "123456" })).status).toBe(409);
    expect(await storedRows()).toEqual(before);
  });

  it("lets an unconfirmed enrollment expire (410), and a new start replace it", async () => {
    now = T0 + 3_600_000;
    const first = secretOf(String((await enroll({ tenant_id: "globex", user_id: "u-carol" })).json["otpauth_uri"]));
    now += 600_000;
    const late = await confirm({ tenant_id: "globex", user_id: "u-carol", code: await code(first) });
    expect(late.status).toBe(410);
    expect(late.json).toMatchObject({ error: { code: "invalid_input", details: { field: "user_id", problem: "enrollment_expired" } } });
    // A new start replaces the pending secret: the first one's codes no longer confirm.
    const second = secretOf(String((await enroll({ tenant_id: "globex", user_id: "u-carol" })).json["otpauth_uri"]));
    expect(second).not.toBe(first);
    expect((await confirm({ tenant_id: "globex", user_id: "u-carol", code: await code(first) })).json).toEqual({ enrolled: false, reason: "invalid_code" });
    expect((await confirm({ tenant_id: "globex", user_id: "u-carol", code: await code(second) })).json).toEqual({ enrolled: true });
  });

  it("answers a wrong code under the verification lockout: locked out after lockout_threshold failures", async () => {
    now = T0 + 2 * 3_600_000;
    const secret = secretOf(String((await enroll({ tenant_id: "umbrella", user_id: "u-frank" })).json["otpauth_uri"]));
    const good = await code(secret);
    const wrong = good === "000000" ? "111111" : "000000";
    expect((await confirm({ tenant_id: "umbrella", user_id: "u-frank", code: wrong })).json).toEqual({ enrolled: false, reason: "invalid_code" });
    expect((await confirm({ tenant_id: "umbrella", user_id: "u-frank", code: wrong })).json).toEqual({ enrolled: false, reason: "invalid_code" });
    expect((await confirm({ tenant_id: "umbrella", user_id: "u-frank", code: wrong })).json).toEqual({ enrolled: false, reason: "locked_out", retry_after_seconds: 300 });
    expect((await confirm({ tenant_id: "umbrella", user_id: "u-frank", code: good })).json).toMatchObject({ enrolled: false, reason: "locked_out" });
  });

  it("answers unknown users, users of another tenant and confirmations with nothing pending with 404, writing nothing", async () => {
    const before = await storedRows();
    for (const [body, problem] of [
      [{ tenant_id: "acme", user_id: "u-nobody" }, "unknown_user"],
      [{ tenant_id: "globex", user_id: "u-heidi" }, "unknown_user"],
    ] as const) {
      const r = await enroll(body);
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ error: { code: "invalid_input", details: { field: "user_id", problem } } });
      expect((await confirm({ ...body, code: "123456" })).status).toBe(404);
    }
    const none = await confirm({ tenant_id: "hooli", user_id: "u-heidi", code: "123456" });
    expect(none.status).toBe(404);
    expect(none.json).toMatchObject({ error: { details: { field: "user_id", problem: "no_pending_enrollment" } } });
    expect(await storedRows()).toEqual(before);
  });

  it("answers garbage bodies with 400 naming the field and the problem, writing nothing", async () => {
    const before = await storedRows();
    const cases: Array<[string, unknown, string]> = [
      ["/mfa/totp/enroll", { tenant_id: "acme" }, "user_id"],
      ["/mfa/totp/enroll", { tenant_id: "acme", user_id: "u-bob", extra: 1 }, "extra"],
      ["/mfa/totp/enroll", { tenant_id: 7, user_id: "u-bob" }, "tenant_id"],
      ["/mfa/totp/enroll", { tenant_id: "", user_id: "u-bob" }, "tenant_id"],
      ["/mfa/totp/enroll", [], ""],
      ["/mfa/totp/enroll/confirm", { tenant_id: "acme", user_id: "u-bob" }, "code"],
      ["/mfa/totp/enroll/confirm", { tenant_id: "acme", user_id: "u-bob", code: "12345a" }, "code"],
      ["/mfa/totp/enroll/confirm", { tenant_id: "acme", user_id: "u-bob", code: 123456 }, "code"],
      ["/mfa/totp/enroll/confirm", { tenant_id: "acme", user_id: "u-bob", code: "123456", secret: "X" }, "secret"],
    ];
    for (const [path, body, field] of cases) {
      const r = await post(sidecar.url, path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      const error = r.json["error"] as { code: string; message: string; details: { field: string; problem: string } };
      expect(error.code).toBe("invalid_input");
      expect(error.details.field).toBe(field);
      expect(error.message).not.toContain("\n");
    }
    const text = await post(sidecar.url, "/mfa/totp/enroll", null, { raw: "{not json" });
    expect(text.status).toBe(400);
    expect(text.json).toMatchObject({ error: { details: { field: "body", problem: "malformed_json" } } });
    const type = await post(sidecar.url, "/mfa/totp/enroll/confirm", null, { raw: "a=b", contentType: "application/x-www-form-urlencoded" });
    expect(type.status).toBe(415);
    expect(await storedRows()).toEqual(before);
  });
});
