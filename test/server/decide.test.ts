// The decision contract end to end: policies/ compiled by capgate's compiler
// into a real bundle, a real replica built from the demo data through snapshot
// export/apply, real JWTs, real HTTP. Also hot reload of bundle and replica
// while requests are in flight, with no failed request.
import { renameSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { buildReplica, buildTestBundle, createTestPrimary, post, startTestServer, tempDir, type TestPrimary } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let replica: string;
let bundle: string;
let server: RunningServer;
let key: CryptoKey;
let hsKey: Uint8Array;
let jwks: string;
const now = () => Math.floor(Date.now() / 1000);

const issue = (input: Record<string, unknown>) => post(server.url, "/decide", { decision: "token.issue", input: { token_type: "access", ...input } });
const validate = (tenant_id: string, token: string) => post(server.url, "/decide", { decision: "token.validate", input: { tenant_id, token } });
const jwt = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(key);

beforeAll(async () => {
  tmp = tempDir("capgate-decide-");
  db = await createTestPrimary("decide");
  replica = await buildReplica(db.primary, tmp.dir);
  bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "rev-1");
  const kp = await generateKeyPair("ES256", { extractable: true });
  key = kp.privateKey;
  hsKey = new Uint8Array(32).fill(7);
  jwks = join(tmp.dir, "jwks.json");
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(kp.publicKey)), kid: "k1", alg: "ES256" }, { kty: "oct", k: Buffer.from(hsKey).toString("base64url"), kid: "h1", alg: "HS256" }] }));
  server = await startTestServer(tmp.dir, { replica, bundle, jwt: { jwks_file: jwks, algorithms: ["ES256"], clock_tolerance_seconds: 30 } });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await db?.drop();
  tmp?.remove();
});

describe("token.issue", () => {
  it("allows with the requested TTL clamped to the tenant's max_token_ttl", async () => {
    const r = await issue({ tenant_id: "acme", user_id: "u-alice", requested_ttl_seconds: 5000, auth: { methods: ["pwd", "totp"] } });
    expect(r.json).toMatchObject({
      allow: true,
      reasons: [],
      ttl_seconds: 900,
      // "mfa" also appears: lib.rego counts the user's `mfa` capability as an RFC 8176 method name.
      mfa: { required: true, satisfied: true, enrolled: true, methods: expect.arrayContaining(["totp"]) },
      policy_revision: "rev-1",
    });
    expect(typeof r.json["replica_version"]).toBe("string");
  });

  it("uses the limit when no TTL is requested, and the catalog default for a tenant without settings", async () => {
    expect((await issue({ tenant_id: "initech", user_id: "u-erin", auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: true, ttl_seconds: 300 });
    expect((await issue({ tenant_id: "umbrella", user_id: "u-frank", auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: true, ttl_seconds: 3600 });
    expect((await issue({ tenant_id: "globex", user_id: "u-carol", requested_ttl_seconds: 60, auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: true, ttl_seconds: 60 });
  });

  it("denies mfa_required, and mfa_enrollment_required for a user not enrolled", async () => {
    expect((await issue({ tenant_id: "acme", user_id: "u-alice", auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: false, reasons: ["mfa_required"] });
    const bob = await issue({ tenant_id: "acme", user_id: "u-bob", auth: { methods: ["pwd"] } });
    expect(bob.json).toMatchObject({ allow: false, mfa: { required: true, enrolled: false } });
    expect([...(bob.json["reasons"] as string[])].sort()).toEqual(["mfa_enrollment_required", "mfa_required"]);
  });

  it("denies unknown tenants and users, and a user of another tenant", async () => {
    expect((await issue({ tenant_id: "nope", user_id: "u-bob", auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: false, reasons: ["unknown_tenant"] });
    expect((await issue({ tenant_id: "acme", user_id: "u-nobody", auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: false, reasons: ["unknown_user"] });
    expect((await issue({ tenant_id: "globex", user_id: "u-bob", auth: { methods: ["pwd"] } })).json).toMatchObject({ allow: false, reasons: ["unknown_user"] });
  });
});

describe("concurrent requests", () => {
  it("answers each of many requests sent at once with its own decision", async () => {
    // Requests that arrive together are decided together (src/server/http/turn-batch.ts).
    const cases = [
      { input: { tenant_id: "acme", user_id: "u-alice", requested_ttl_seconds: 5000, auth: { methods: ["pwd", "totp"] } }, want: { allow: true, ttl_seconds: 900 } },
      { input: { tenant_id: "acme", user_id: "u-alice", auth: { methods: ["pwd"] } }, want: { allow: false, reasons: ["mfa_required"] } },
      { input: { tenant_id: "initech", user_id: "u-erin", auth: { methods: ["pwd"] } }, want: { allow: true, ttl_seconds: 300 } },
      { input: { tenant_id: "globex", user_id: "u-carol", requested_ttl_seconds: 60, auth: { methods: ["pwd"] } }, want: { allow: true, ttl_seconds: 60 } },
      { input: { tenant_id: "nope", user_id: "u-bob", auth: { methods: ["pwd"] } }, want: { allow: false, reasons: ["unknown_tenant"] } },
    ];
    const sent = Array.from({ length: 60 }, (_, i) => cases[i % cases.length]!);
    const answers = await Promise.all(sent.map((c) => issue(c.input)));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.json).toMatchObject(sent[i]!.want);
    });
    expect(new Set(answers.map((a) => a.json["decision_id"])).size).toBe(sent.length);
  });
});

describe("mfa.requirement", () => {
  it("answers required, enrolled and methods", async () => {
    const r = await post(server.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "hooli", user_id: "u-grace" } });
    expect(r.json).toMatchObject({ allow: true, required: true, enrolled: true, methods: expect.arrayContaining(["totp"]) });
    const c = await post(server.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "globex", user_id: "u-carol" } });
    expect(c.json).toMatchObject({ allow: true, required: false, enrolled: false, methods: [] });
  });
});

describe("token.validate", () => {
  it("accepts a well-signed token within the tenant's limits", async () => {
    const t = await jwt({ tenant_id: "globex", sub: "u-carol", iat: now() - 10, exp: now() + 600, amr: ["pwd"] });
    expect((await validate("globex", t)).json).toMatchObject({ allow: true, reasons: [] });
  });

  it("denies expired, too long-lived, MFA-less and other-tenant tokens", async () => {
    const expired = await jwt({ tenant_id: "globex", iat: now() - 7200, exp: now() - 3600 });
    expect((await validate("globex", expired)).json).toMatchObject({ allow: false, reasons: ["expired"] });
    const long = await jwt({ tenant_id: "initech", iat: now(), exp: now() + 3600 });
    expect((await validate("initech", long)).json).toMatchObject({ allow: false, reasons: ["ttl_exceeds_limit"] });
    const noMfa = await jwt({ tenant_id: "acme", iat: now(), exp: now() + 600, amr: ["pwd"] });
    expect((await validate("acme", noMfa)).json).toMatchObject({ allow: false, reasons: ["mfa_required"] });
    const withOtp = await jwt({ tenant_id: "acme", iat: now(), exp: now() + 600, amr: ["pwd", "otp"] });
    expect((await validate("acme", withOtp)).json).toMatchObject({ allow: true });
    expect((await validate("globex", withOtp)).json).toMatchObject({ allow: false, reasons: ["tenant_mismatch"] });
  });

  it("answers a batch of validations in order, each on its own token", async () => {
    const tokens = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? jwt({ tenant_id: "globex", iat: now() - 7200, exp: now() - 3600 })
          : jwt({ tenant_id: "globex", sub: `u-${i}`, iat: now() - 10, exp: now() + 600, amr: ["pwd"] }),
      ),
    );
    const r = await post(server.url, "/decide", { batch: tokens.map((token) => ({ decision: "token.validate", input: { tenant_id: "globex", token } })) });
    const answers = r.json["batch"] as Array<Record<string, unknown>>;
    expect(answers.map((a) => a["reasons"])).toEqual(tokens.map((_, i) => (i % 3 === 0 ? ["expired"] : [])));
    expect(new Set(answers.map((a) => a["decision_id"])).size).toBe(tokens.length);
  });

  it("denies tampered, none-signed and unlisted-algorithm tokens as invalid_token", async () => {
    const t = await jwt({ tenant_id: "globex", iat: now(), exp: now() + 600 });
    const [h, , s] = t.split(".");
    const forged = Buffer.from(JSON.stringify({ tenant_id: "globex", iat: now(), exp: now() + 60 })).toString("base64url");
    expect((await validate("globex", `${h}.${forged}.${s}`)).json).toMatchObject({ allow: false, reasons: ["invalid_token"] });
    const none = new UnsecuredJWT({ tenant_id: "globex", iat: now(), exp: now() + 600 }).encode();
    expect((await validate("globex", none)).json).toMatchObject({ allow: false, reasons: ["invalid_token"] });
    const hs = await new SignJWT({ tenant_id: "globex", iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: "HS256", kid: "h1" }).sign(hsKey);
    expect((await validate("globex", hs)).json).toMatchObject({ allow: false, reasons: ["invalid_token"] });
  });
});

describe("time and replica changes while serving", () => {
  it("reads the clock for every decision: a token accepted now is refused as expired once its exp has passed", async () => {
    let nowMs = Date.now();
    const s = await startTestServer(
      tmp.dir,
      { replica, bundle, max_staleness_seconds: 86_400, jwt: { jwks_file: jwks, algorithms: ["ES256"], clock_tolerance_seconds: 30 } },
      { clock: () => nowMs },
    );
    try {
      const t = await jwt({ tenant_id: "globex", sub: "u-carol", iat: now(), exp: now() + 600, amr: ["pwd"] });
      const check = async () => (await post(s.url, "/decide", { decision: "token.validate", input: { tenant_id: "globex", token: t } })).json;
      expect(await check()).toMatchObject({ allow: true, reasons: [] });
      nowMs += 601_000; // past exp, within the 30 s tolerance
      expect(await check()).toMatchObject({ allow: true });
      nowMs += 60_000;
      expect(await check()).toMatchObject({ allow: false, reasons: ["expired"] });
    } finally {
      await s.close();
    }
  });

  it("sees a change written into the replica in place, with the replica version that carries it", async () => {
    const own = await buildReplica(db.primary, tmp.dir, join(tmp.dir, "in-place.db"));
    const s = await startTestServer(tmp.dir, { replica: own, bundle });
    const ask = async () =>
      (await post(s.url, "/decide", { decision: "token.issue", input: { tenant_id: "acme", user_id: "u-alice", token_type: "access", auth: { methods: ["totp"] } } })).json;
    const writer = new Database(own);
    try {
      const before = await ask();
      expect(before).toMatchObject({ allow: true, ttl_seconds: 900 });
      // What a follower does: change a fact and move the watermark, in one transaction.
      writer.transaction(() => {
        writer.prepare("UPDATE tenant_capabilities SET value = '{\"seconds\": 600}' WHERE tenant_id = 'acme' AND capability_key = 'max_token_ttl'").run();
        writer.prepare("UPDATE replica_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'watermark'").run();
      })();
      let after = await ask();
      for (let i = 0; i < 100 && after["ttl_seconds"] === 900; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = await ask();
      }
      expect(after).toMatchObject({ allow: true, ttl_seconds: 600 });
      expect(after["replica_version"]).not.toBe(before["replica_version"]);
    } finally {
      writer.close();
      await s.close();
    }
  });
});

describe("secrets in the replica", () => {
  it("never reach the policy input, at the top of a capability's data or deeper", async () => {
    const own = await buildReplica(db.primary, tmp.dir, join(tmp.dir, "secrets.db"));
    const writer = new Database(own);
    writer
      .prepare("UPDATE user_capability_state SET data = ? WHERE user_id = 'u-alice' AND capability_key = 'totp'")
      .run(JSON.stringify({ secret_jwe: "eyJhbGciOiJkaXIi.top", enrolled_at: "2026-01-01", nested: { mfa_secret: "deep-s3cret", kept: 1 } }));
    writer.close();
    // An extra rule that shows the policy input's user in the answer.
    const shows = { file: "shows.rego", text: "package capgate.mfa.requirement\n\nseen_user := input.user\n" };
    const b = await buildTestBundle(join(tmp.dir, "shows.tar.gz"), "shows", shows);
    const s = await startTestServer(tmp.dir, { replica: own, bundle: b });
    try {
      const r = await post(s.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "u-alice" } });
      const seen = r.json["seen_user"] as { capabilities: Record<string, { data: unknown }> };
      expect(seen.capabilities["totp"]!.data).toEqual({ enrolled_at: "2026-01-01", nested: { kept: 1 } });
      expect(JSON.stringify(r.json)).not.toMatch(/eyJhbGciOiJkaXIi|deep-s3cret/);
    } finally {
      await s.close();
    }
  });
});

describe("OPA REST and readiness", () => {
  it("answers /v1/data with the decision under result", async () => {
    const r = await post(server.url, "/v1/data/capgate/token/issue", {
      input: { tenant_id: "initech", user_id: "u-erin", token_type: "refresh", auth: { methods: ["pwd"] } },
    });
    expect(r.json).toMatchObject({ result: { allow: true, ttl_seconds: 300, policy_revision: "rev-1" } });
  });

  it("is ready with a policy and a current replica, and exposes the revision", async () => {
    const r = await fetch(server.url + "/ready");
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ready: true, policy: { loaded: true, revision: "rev-1" }, replica: { status: "current" } });
    expect(await (await fetch(server.url + "/metrics")).text()).toContain('capgate_policy_revision_info{revision="rev-1"} 1');
  });
});

/**
 * Serves a bundle of policies/ plus `extra` (a module that fails for refresh
 * tokens only): a refresh token is denied with `reason`, and the next request,
 * for an access token, is answered as usual.
 */
async function refreshFailsAccessServes(
  extra: { file: string; text: string },
  revision: string,
  flags: Record<string, unknown>,
  reason: string,
): Promise<void> {
  const b = await buildTestBundle(join(tmp.dir, `${revision}.tar.gz`), revision, extra);
  const s = await startTestServer(tmp.dir, { replica, bundle: b, ...flags });
  try {
    const input = { tenant_id: "initech", user_id: "u-erin", auth: { methods: ["pwd"] } };
    const bad = await post(s.url, "/decide", { decision: "token.issue", input: { ...input, token_type: "refresh" } });
    expect(bad.json).toMatchObject({ allow: false, reasons: [reason], policy_revision: revision });
    const good = await post(s.url, "/decide", { decision: "token.issue", input: { ...input, token_type: "access" } });
    expect(good.json).toMatchObject({ allow: true, ttl_seconds: 300 });
  } finally {
    await s.close();
  }
}

describe("policy failures", () => {
  it("refuses a bundle without every served entrypoint", async () => {
    const partial = await buildTestBundle(join(tmp.dir, "partial.tar.gz"), "partial", undefined, ["capgate/token/issue"]);
    const s = await startTestServer(tmp.dir, { replica, bundle: partial });
    try {
      expect(s.engine.loaded).toBe(false);
      const r = await post(s.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "u-bob" } });
      expect(r.json).toMatchObject({ allow: false, reasons: ["policy_not_loaded"] });
    } finally {
      await s.close();
    }
  });

  it("denies with evaluation_error when the policy fails at run time, and keeps serving", async () => {
    // Two complete definitions with different values: a conflict error inside the Wasm.
    const conflict = {
      file: "conflict.rego",
      text: 'package capgate.token.issue\n\nconflict := 1 if input.request.token_type == "refresh"\n\nconflict := 2 if input.request.token_type == "refresh"\n',
    };
    await refreshFailsAccessServes(conflict, "conflict", {}, "evaluation_error");
  });
});

describe("a stalled evaluation", () => {
  it("is stopped at the decision deadline and answered deadline_exceeded; the sidecar serves on", async () => {
    // Eight billion steps for a refresh token: without the deadline this request never returns.
    const stall = {
      file: "stall.rego",
      text: [
        "package capgate.token.issue",
        "",
        "stall if {",
        '\tinput.request.token_type == "refresh"',
        "\tsome a in numbers.range(1, 2000)",
        "\tsome b in numbers.range(1, 2000)",
        "\tsome c in numbers.range(1, 2000)",
        "\ta + b + c < 0",
        "}",
        "",
      ].join("\n"),
    };
    await refreshFailsAccessServes(stall, "stall", { decision_deadline_ms: 300 }, "deadline_exceeded");
  });
});

describe("hot reload under load", () => {
  it("switches bundle and replica while requests flow, with no failed request", async () => {
    const s = await startTestServer(tmp.dir, { replica, bundle: join(tmp.dir, "live.tar.gz") });
    try {
      await buildTestBundle(join(tmp.dir, "live.tar.gz"), "live-1");
      await s.reloader.check();
      const revisions = new Set<string>();
      const failures: unknown[] = [];
      let stop = false;
      const worker = async (): Promise<void> => {
        while (!stop) {
          const r = await post(s.url, "/decide", {
            decision: "token.issue",
            input: { tenant_id: "initech", user_id: "u-erin", token_type: "access", auth: { methods: ["pwd"] } },
          });
          if (r.status !== 200 || r.json["allow"] !== true || r.json["ttl_seconds"] !== 300) failures.push(r.json);
          revisions.add(String(r.json["policy_revision"]));
        }
      };
      const workers = [worker(), worker(), worker(), worker()];
      // A broken bundle is refused while serving; then a good one replaces live-1.
      writeFileSync(join(tmp.dir, "live.tar.gz.new"), "garbage");
      renameSync(join(tmp.dir, "live.tar.gz.new"), join(tmp.dir, "live.tar.gz"));
      await s.reloader.check();
      expect(s.engine.revision).toBe("live-1");
      await buildTestBundle(join(tmp.dir, "live.tar.gz"), "live-2");
      await s.reloader.check();
      expect(s.engine.revision).toBe("live-2");
      // A new replica generation (a snapshot applied while serving).
      const before = s.facts()?.state().version;
      await buildReplica(db.primary, tmp.dir, replica);
      await s.reloader.check();
      expect(s.facts()?.state().version).not.toBe(before);
      stop = true;
      await Promise.all(workers);
      expect(failures).toEqual([]);
      expect(revisions.has("live-2")).toBe(true);
    } finally {
      await s.close();
    }
  });
});
