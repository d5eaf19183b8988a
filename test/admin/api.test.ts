// The admin API's behaviour over real HTTP on a real primary: answer shapes
// and defaults, ETag/If-Match and racing writers, pagination, the audit trail
// (request ids, filters, append-only), the MFA reset, revoked tokens and body
// limits on PGlite and PostgreSQL; the service log of refusals, the per-source
// limit on failed authentications, OIDC and the operations routes.
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeAdminToken, createAdminToken } from "../../src/admin/index.js";
import { testEngines } from "../helpers/primary.js";
import { adminFixture, call, stateOf, type AdminFixture } from "./helpers.js";

const TTL = "/admin/v1/tenants/acme/capabilities/max_token_ttl";

describe.each(testEngines())("resources on %s", (engine) => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await adminFixture(`api_${engine}`, engine);
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it("shows a tenant's capabilities and features, defaults as such", async () => {
    await f.primary.exec("INSERT INTO tenants (id, name) VALUES ('bare', 'No rows of its own')");
    const r = await call(f.url, "GET", "/admin/v1/tenants/bare", { token: f.tokens.viewer });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      id: "bare",
      name: "No rows of its own",
      capabilities: {
        max_token_ttl: { value: { seconds: 3600 }, source: "default", updated_at: null, etag: expect.any(String) },
        mfa: { value: { required: false }, source: "default", updated_at: null, etag: expect.any(String) },
        totp: { value: { enabled: true }, source: "default", updated_at: null, etag: expect.any(String) },
      },
      features: { mfa: { enabled: false, source: "default", updated_at: null, etag: expect.any(String) } },
    });
    const acme = await call(f.url, "GET", "/admin/v1/tenants/acme", { token: f.tokens.viewer });
    expect(acme.json["capabilities"]["max_token_ttl"]).toMatchObject({ value: { seconds: 900 }, source: "migrated", updated_at: expect.stringMatching(/Z$/) });
  });

  it("lists the catalog with each value schema", async () => {
    const r = await call(f.url, "GET", "/admin/v1/capabilities", { token: f.tokens.viewer });
    const ttl = (r.json["items"] as Array<Record<string, any>>).find((i) => i["key"] === "max_token_ttl")!;
    expect(ttl["value_schema"]).toMatchObject({ type: "object", properties: { seconds: { type: "integer", minimum: 60, maximum: 31_536_000 } }, additionalProperties: false });
  });

  it("pages through tenants with next_cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r = await call(f.url, "GET", `/admin/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: f.tokens.operator });
      expect(r.status).toBe(200);
      expect((r.json["items"] as unknown[]).length).toBeLessThanOrEqual(2);
      seen.push(...(r.json["items"] as Array<{ id: string }>).map((t) => t.id));
      cursor = r.json["next_cursor"] as string | null;
      if (cursor === null) break;
    }
    const all = (await f.primary.query<{ id: string }>("SELECT id FROM tenants ORDER BY id")).rows.map((r) => r.id);
    expect(seen).toEqual(all);
    // A tenant admin's list holds its own tenant only.
    const own = await call(f.url, "GET", "/admin/v1/tenants", { token: f.tokens.acmeAdmin });
    expect((own.json["items"] as Array<{ id: string }>).map((t) => t.id)).toEqual(["acme"]);
  });

  it("honours If-Match: the current ETag writes, a stale one is 412 and changes nothing", async () => {
    const cur = (await call(f.url, "GET", "/admin/v1/tenants/acme", { token: f.tokens.operator })).json["capabilities"]["max_token_ttl"]["etag"] as string;
    const ok = await call(f.url, "PUT", TTL, { token: f.tokens.operator, headers: { "if-match": cur }, body: { value: { seconds: 1800 } } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ value: { seconds: 1800 }, source: "admin" });
    expect(ok.headers.get("etag")).toBe(ok.json["etag"]);
    expect(ok.json["etag"]).not.toBe(cur);
    const before = await stateOf(f.primary);
    const stale = await call(f.url, "PUT", TTL, { token: f.tokens.operator, headers: { "if-match": cur }, body: { value: { seconds: 60 } } });
    expect(stale.status).toBe(412);
    expect(stale.json["error"]["details"]).toEqual({ field: "if-match", problem: "precondition_failed" });
    expect(await stateOf(f.primary)).toBe(before);
    // DELETE returns to the catalog default, also under If-Match.
    const del = await call(f.url, "DELETE", TTL, { token: f.tokens.operator, headers: { "if-match": ok.json["etag"] as string } });
    expect(del.json).toMatchObject({ value: { seconds: 3600 }, source: "default", updated_at: null });
    const rows = await f.primary.query("SELECT 1 FROM tenant_capabilities WHERE tenant_id = 'acme' AND capability_key = 'max_token_ttl'");
    expect(rows.rows).toHaveLength(0);
  });

  it("two administrators racing with one If-Match: one wins, the other gets 412", async () => {
    const cur = (await call(f.url, "GET", "/admin/v1/tenants/initech", { token: f.tokens.operator })).json["capabilities"]["max_token_ttl"]["etag"] as string;
    const put = (seconds: number) =>
      call(f.url, "PUT", "/admin/v1/tenants/initech/capabilities/max_token_ttl", { token: f.tokens.operator, headers: { "if-match": cur }, body: { value: { seconds } } });
    const answers = await Promise.all([put(120), put(240), put(480), put(960)]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
    const winner = answers.find((a) => a.status === 200)!;
    const row = await f.primary.query<{ value: { seconds: number } }>("SELECT value FROM tenant_capabilities WHERE tenant_id = 'initech' AND capability_key = 'max_token_ttl'");
    expect(row.rows[0]!.value).toEqual(winner.json["value"]);
    const audits = await f.primary.query("SELECT 1 FROM admin_audit WHERE target = 'tenants/initech/capabilities/max_token_ttl'");
    expect(audits.rows).toHaveLength(1);
  });

  it("racing without If-Match: each write whole, the last one stays, the trail chains before to after", async () => {
    const target = "tenants/umbrella/capabilities/max_token_ttl";
    const values = [61, 62, 63, 64, 65, 66, 67, 68];
    const answers = await Promise.all(values.map((seconds) => call(f.url, "PUT", `/admin/v1/${target}`, { token: f.tokens.operator, body: { value: { seconds } } })));
    expect(answers.map((a) => a.status)).toEqual(values.map(() => 200));
    const trail = (await f.primary.query<{ before: any; after: any }>("SELECT before, after FROM admin_audit WHERE target = $1 ORDER BY id", [target])).rows;
    expect(trail).toHaveLength(values.length);
    for (let i = 1; i < trail.length; i++) expect(trail[i]!.before.value).toEqual(trail[i - 1]!.after.value);
    const row = await f.primary.query<{ value: unknown }>("SELECT value FROM tenant_capabilities WHERE tenant_id = 'umbrella' AND capability_key = 'max_token_ttl'");
    expect(row.rows[0]!.value).toEqual(trail[trail.length - 1]!.after.value);
  });

  it("audits every change with actor, before, after and the request id; filters and pages", async () => {
    const r = await call(f.url, "PUT", "/admin/v1/tenants/hooli/features/mfa", { token: f.tokens.operator, headers: { "x-request-id": "req-audit-1" }, body: { enabled: false } });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-request-id")).toBe("req-audit-1");
    const a = await call(f.url, "GET", "/admin/v1/audit?tenant=hooli&actor=ops-olivia&limit=1", { token: f.tokens.viewer });
    expect(a.json["items"][0]).toMatchObject({
      actor: "ops-olivia",
      action: "feature.put",
      tenant_id: "hooli",
      target: "tenants/hooli/features/mfa",
      before: { enabled: true, source: "migrated" },
      after: { enabled: false, source: "admin" },
      request_id: "req-audit-1",
    });
    expect(a.json["items"][0]["before"]).not.toHaveProperty("etag");
    // Walk the whole trail a page at a time: newest first, no entry twice.
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof call>> = await call(f.url, "GET", `/admin/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ""}`, { token: f.tokens.operator });
      ids.push(...(page.json["items"] as Array<{ id: string }>).map((e) => Number(e.id)));
      cursor = page.json["next_cursor"] as string | null;
    } while (cursor !== null);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    expect(new Set(ids).size).toBe(Number((await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM admin_audit")).rows[0]!.n));
    const later = await call(f.url, "GET", `/admin/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: f.tokens.operator });
    expect(later.json).toEqual({ items: [], next_cursor: null });
    // A tenant admin reads its own tenant's entries only.
    const own = await call(f.url, "GET", "/admin/v1/audit", { token: f.tokens.acmeAdmin });
    expect((own.json["items"] as Array<{ tenant_id: string }>).every((e) => e.tenant_id === "acme")).toBe(true);
  });

  it("keeps the audit trail append-only: UPDATE, DELETE and TRUNCATE are refused by the table", async () => {
    await expect(f.primary.exec("UPDATE admin_audit SET actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(f.primary.exec("DELETE FROM admin_audit")).rejects.toThrow(/append-only/);
    await expect(f.primary.exec("TRUNCATE admin_audit")).rejects.toThrow(/append-only/);
  });

  it("keeps admin tables out of the change feed", async () => {
    const logged = await f.primary.query("SELECT DISTINCT table_name FROM capgate_change_log WHERE table_name LIKE 'admin%'");
    expect(logged.rows).toEqual([]);
  });

  it("resets a user's TOTP: state, pending enrollment, legacy secret; never shows a secret", async () => {
    await f.primary.exec(`
      UPDATE user_capability_state SET data = '{"secret_jwe": "eyJhbGciOiJkaXIi.SECRETCIPHERTEXT", "enrolled_at": "2026-12-01"}'
       WHERE user_id = 'u-alice' AND capability_key = 'totp';
      INSERT INTO users (id, tenant_id, email) VALUES ('u-pat', 'acme', 'pat@acme.example');
      INSERT INTO totp_enrollments (tenant_id, user_id, secret_jwe, expires_at) VALUES ('acme', 'u-pat', 'PENDINGCIPHERTEXT', now() + interval '10 minutes');
      INSERT INTO totp_enrollments (tenant_id, user_id, secret_jwe, expires_at) VALUES ('acme', 'u-alice', 'PENDINGCIPHERTEXT2', now() + interval '10 minutes');`);
    const seen = await call(f.url, "GET", "/admin/v1/tenants/acme/users/u-alice", { token: f.tokens.acmeAdmin });
    expect(seen.json["capabilities"]["totp"]).toMatchObject({ status: "enrolled", data: { enrolled_at: "2026-12-01" } });
    expect(JSON.stringify(seen.json)).not.toMatch(/secret|CIPHERTEXT/i);
    const r = await call(f.url, "DELETE", "/admin/v1/tenants/acme/users/u-alice/totp", { token: f.tokens.acmeAdmin });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.json)).not.toMatch(/secret_jwe|CIPHERTEXT|MHV4JXMO/);
    expect(r.json["reset"]).toMatchObject({ pending_enrollments_removed: 1, legacy_secret_cleared: true, removed_state: { status: "enrolled" } });
    expect(r.json["user"]["capabilities"]).not.toHaveProperty("totp");
    const left = await f.primary.query<{ n: string }>(`
      SELECT (SELECT count(*) FROM user_capability_state WHERE user_id = 'u-alice' AND capability_key = 'totp')
           + (SELECT count(*) FROM totp_enrollments WHERE user_id = 'u-alice')
           + (SELECT count(*) FROM users WHERE id = 'u-alice' AND mfa_secret IS NOT NULL) AS n`);
    expect(Number(left.rows[0]!.n)).toBe(0);
    // Another user's pending enrollment is untouched.
    expect((await f.primary.query("SELECT 1 FROM totp_enrollments WHERE user_id = 'u-pat'")).rows).toHaveLength(1);
    const trail = await f.primary.query<{ before: unknown; after: unknown; actor: string }>("SELECT actor, before, after FROM admin_audit WHERE action = 'user.totp.reset'");
    expect(trail.rows[0]!.actor).toBe("acme-admin");
    expect(JSON.stringify(trail.rows[0])).not.toMatch(/secret_jwe|CIPHERTEXT/);
  });

  it("refuses a revoked token at once", async () => {
    const made = await createAdminToken(f.primary, { role: "viewer", name: "short-lived", actor: "test" });
    expect((await call(f.url, "GET", "/admin/v1/capabilities", { token: made.token })).status).toBe(200);
    await revokeAdminToken(f.primary, made.record.id, "test");
    expect((await call(f.url, "GET", "/admin/v1/capabilities", { token: made.token })).status).toBe(401);
    const stored = await f.primary.query<{ token_hash: string }>("SELECT token_hash FROM admin_tokens WHERE id = $1", [made.record.id]);
    expect(stored.rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.rows[0]!.token_hash).not.toContain(made.token.slice(6, 20));
  });

  it("refuses a body over the limit, declared or streamed, with 413 and changes nothing", async () => {
    const before = await stateOf(f.primary);
    const big = JSON.stringify({ value: { seconds: 600 }, pad: "x".repeat(70 * 1024) });
    const declared = await call(f.url, "PUT", TTL, { token: f.tokens.operator, raw: big, headers: { "content-type": "application/json" } });
    expect(declared.status).toBe(413);
    expect(declared.json["error"]["details"]).toEqual({ field: "body", problem: "body_too_large" });
    const chunks = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < 70; i++) ctl.enqueue(new TextEncoder().encode("x".repeat(1024)));
        ctl.close();
      },
    });
    const streamed = await fetch(f.url + TTL, {
      method: "PUT",
      headers: { authorization: `Bearer ${f.tokens.operator}`, "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await stateOf(f.primary)).toBe(before);
  });

  it("answers /health, /ready and /metrics, and serves the OpenAPI document without a token", async () => {
    expect((await call(f.url, "GET", "/health")).json).toEqual({ status: "ok" });
    expect(await call(f.url, "GET", "/ready")).toMatchObject({ status: 200, json: { ready: true } });
    const m = await fetch(`${f.url}/metrics`);
    expect(await m.text()).toMatch(/capgate_admin_requests_total\{method="PUT",route="\/admin\/v1\/tenants\/:tenant\/capabilities\/:key",status="200"\}/);
    expect((await call(f.url, "GET", "/admin/v1/openapi.json")).json["openapi"]).toBe("3.1.0");
  });
});

describe("the service log", () => {
  const lines: Array<Record<string, unknown>> = [];
  let f: AdminFixture;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n")) if (l !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    f = await adminFixture("servicelog", undefined, {}, pino({ level: "info" }, sink));
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it("gets a line per refused request, with who and why; the audit trail gets none", async () => {
    const audited = await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM admin_audit");
    const r = await call(f.url, "PUT", "/admin/v1/tenants/globex/capabilities/max_token_ttl", { token: f.tokens.acmeAdmin, headers: { "x-request-id": "refused-1" }, body: { value: { seconds: 600 } } });
    expect(r.status).toBe(403);
    await call(f.url, "PUT", TTL, { token: f.tokens.acmeAdmin, headers: { "x-request-id": "refused-2" }, body: { value: { seconds: 6 } } });
    expect(lines.find((l) => l["request_id"] === "refused-1")).toMatchObject({
      status: 403,
      actor: "acme-admin",
      role: "tenant-admin",
      code: "invalid_input",
      reason: 'authorization: this token is limited to tenant "acme"',
      path: "/admin/v1/tenants/globex/capabilities/max_token_ttl",
    });
    expect(lines.find((l) => l["request_id"] === "refused-2")).toMatchObject({ status: 400, reason: "value.seconds: must be at least 60" });
    expect((await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM admin_audit")).rows).toEqual(audited.rows);
  });
});

describe("failed authentications", () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await adminFixture("ratelimit", undefined, { auth_failures: { limit: 3, window_seconds: 3600 } });
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it("refuse a source with 429 once over the limit, a valid token included; a missing token does not count", async () => {
    for (let i = 0; i < 5; i++) expect((await call(f.url, "GET", "/admin/v1/capabilities")).status).toBe(401);
    expect((await call(f.url, "GET", "/admin/v1/capabilities", { token: f.tokens.operator })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(f.url, "GET", "/admin/v1/capabilities", { token: `cgadm_guess${i}` })).status).toBe(401);
    const before = await stateOf(f.primary);
    const limited = await call(f.url, "PUT", TTL, { token: f.tokens.operator, body: { value: { seconds: 600 } } });
    expect(limited.status).toBe(429);
    expect(limited.json["error"]["details"]).toMatchObject({ problem: "too_many_requests" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await stateOf(f.primary)).toBe(before);
  });
});

describe("OIDC", () => {
  let f: AdminFixture;
  let dir: string;
  let sign: (claims: Record<string, unknown>, opts?: { audience?: string; expiresIn?: string }) => Promise<string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capgate-admin-oidc-"));
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "idp-1", alg: "ES256" }] }));
    sign = (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
        .setIssuer("https://idp.example")
        .setAudience(opts.audience ?? "capgate-admin")
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? "5m")
        .sign(privateKey);
    f = await adminFixture("oidc", undefined, {
      oidc: { issuer: "https://idp.example", audience: "capgate-admin", jwks_file: join(dir, "jwks.json"), role_claim: "roles", tenant_claim: "org" },
    });
  }, 120_000);
  afterAll(async () => {
    await f?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts a verified JWT with role and tenant from the configured claims, the subject as actor", async () => {
    const jwt = await sign({ sub: "alice@idp", roles: "tenant-admin", org: "acme" });
    const r = await call(f.url, "PUT", TTL, { token: jwt, body: { value: { seconds: 700 } } });
    expect(r.status).toBe(200);
    const trail = await f.primary.query<{ actor: string }>("SELECT actor FROM admin_audit ORDER BY id DESC LIMIT 1");
    expect(trail.rows[0]!.actor).toBe("alice@idp");
    const other = await call(f.url, "PUT", "/admin/v1/tenants/globex/capabilities/max_token_ttl", { token: jwt, body: { value: { seconds: 700 } } });
    expect(other.status).toBe(403);
  });

  it("refuses a wrong audience, an expired token, an unknown role and an unbound tenant admin", async () => {
    const before = await stateOf(f.primary);
    for (const jwt of [
      await sign({ sub: "a", roles: "operator" }, { audience: "someone-else" }),
      await sign({ sub: "a", roles: "operator" }, { expiresIn: "-10m" }),
      await sign({ sub: "a", roles: "root" }),
      await sign({ sub: "a", roles: "tenant-admin" }),
    ]) expect((await call(f.url, "PUT", TTL, { token: jwt, body: { value: { seconds: 800 } } })).status).toBe(401);
    expect(await stateOf(f.primary)).toBe(before);
  });
});
