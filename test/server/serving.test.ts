// The sidecar over real HTTP with a real SQLite replica: answer shape (single,
// batch, OPA REST), fail-closed answers with no policy, a missing, stale or
// refused replica and a broken bundle; hot reload of the replica; /health,
// /ready, /metrics; the decision log's masking and its failure not failing
// decisions; the admin token.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDeadline } from "../../src/server/decide/decide.js";
import type { RunningServer } from "../../src/server/server.js";
import { buildReplica, createTestPrimary, post, startTestServer, tempDir, type TestPrimary } from "./helpers.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISSUE = { tenant_id: "acme", user_id: "u-bob", token_type: "access", requested_ttl_seconds: 600, auth: { methods: ["pwd"] } };
const MFA = { tenant_id: "acme", user_id: "u-bob" };
// A syntactically valid compact JWT (its signature does not matter here).
const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LWJvYiIsInRlbmFudF9pZCI6ImFjbWUifQ.c2lnbmF0dXJlLWJ5dGVz";

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let replica: string;
let server: RunningServer & { decisionLogFile: string };
const started: RunningServer[] = [];

async function start(flags: Record<string, unknown>, opts: Parameters<typeof startTestServer>[2] = {}) {
  const s = await startTestServer(tmp.dir, flags, opts);
  started.push(s);
  return s;
}

beforeAll(async () => {
  tmp = tempDir();
  db = await createTestPrimary("serving");
  replica = await buildReplica(db.primary, tmp.dir);
  server = await start({ replica });
});

afterAll(async () => {
  for (const s of started) await s.close();
  await db?.drop();
  tmp?.remove();
});

describe("answers", () => {
  it("answers /decide with id, allow, reasons, policy revision and replica version; closed without a policy", async () => {
    const r = await post(server.url, "/decide", { decision: "token.issue", input: ISSUE });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      decision_id: expect.stringMatching(UUID),
      decision: "token.issue",
      allow: false,
      reasons: ["policy_not_loaded"],
      policy_revision: null,
      replica_version: expect.any(String),
    });
  });

  it("answers a batch in order, each with its own id", async () => {
    const r = await post(server.url, "/decide", {
      batch: [
        { decision: "token.issue", input: ISSUE },
        { decision: "mfa.requirement", input: MFA },
        { decision: "token.validate", input: { tenant_id: "acme", token: JWT } },
      ],
    });
    expect(r.status).toBe(200);
    const answers = r.json["batch"] as Array<Record<string, unknown>>;
    expect(answers.map((a) => a["decision"])).toEqual(["token.issue", "mfa.requirement", "token.validate"]);
    expect(new Set(answers.map((a) => a["decision_id"])).size).toBe(3);
    for (const a of answers) expect(a).toMatchObject({ allow: false, reasons: ["policy_not_loaded"] });
  });

  it("answers OPA's REST shape on /v1/data/{entrypoint}", async () => {
    const r = await post(server.url, "/v1/data/capgate/mfa/requirement", { input: MFA });
    expect(r.status).toBe(200);
    expect(r.json["decision_id"]).toMatch(UUID);
    expect(r.json["result"]).toMatchObject({ decision_id: r.json["decision_id"], allow: false, reasons: ["policy_not_loaded"] });
  });
});

describe("fail closed", () => {
  it("denies with replica_missing when the replica file does not exist", async () => {
    const s = await start({ replica: join(tmp.dir, "absent.db") });
    const r = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA });
    expect(r.json).toMatchObject({ allow: false, reasons: ["policy_not_loaded", "replica_missing"], replica_version: null });
    const ready = await fetch(s.url + "/ready");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, replica: { status: "missing" } });
  });

  it("denies with replica_stale when the replica is older than the maximum staleness", async () => {
    const s = await start({ replica, max_staleness_seconds: 60 }, { clock: () => Date.now() + 3_600_000 });
    const r = await post(s.url, "/decide", { decision: "token.issue", input: ISSUE });
    expect(r.json).toMatchObject({ allow: false, reasons: ["policy_not_loaded", "replica_stale"] });
    expect(typeof r.json["replica_version"]).toBe("string");
    const ready = (await (await fetch(s.url + "/ready")).json()) as { replica: { status: string; age_seconds: number } };
    expect(ready.replica.status).toBe("stale");
    expect(ready.replica.age_seconds).toBeGreaterThan(3000);
  });

  it("refuses a broken bundle at start and keeps answering closed", async () => {
    const bundle = join(tmp.dir, "broken.tar.gz");
    writeFileSync(bundle, "this is not a bundle");
    const s = await start({ replica, bundle });
    expect(s.engine.loaded).toBe(false);
    const r = await post(s.url, "/decide", { decision: "token.issue", input: ISSUE });
    expect(r.json).toMatchObject({ allow: false, reasons: ["policy_not_loaded"] });
    const metrics = await (await fetch(s.url + "/metrics")).text();
    expect(metrics).toMatch(/capgate_reloads_total\{kind="bundle",outcome="refused"\} 1/);
    // A changed but still broken bundle is refused again; the sidecar keeps serving.
    writeFileSync(bundle, "still not a bundle, but longer");
    await s.reloader.check();
    expect(await (await fetch(s.url + "/metrics")).text()).toMatch(/capgate_reloads_total\{kind="bundle",outcome="refused"\} 2/);
    expect((await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA })).status).toBe(200);
  });

  it("ends a stalled step at the deadline instead of hanging", async () => {
    expect(await withDeadline(new Promise<never>(() => {}), 5)).toBe("deadline");
    expect(await withDeadline(Promise.resolve(7), 1000)).toBe(7);
  });
});

describe("hot reload of the replica", () => {
  it("picks up a replica that appears, and refuses a broken one while the last good one keeps serving", async () => {
    const path = join(tmp.dir, "later.db");
    const s = await start({ replica: path });
    expect((await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA })).json["reasons"]).toEqual([
      "policy_not_loaded",
      "replica_missing",
    ]);
    await buildReplica(db.primary, tmp.dir, path);
    await s.reloader.check();
    const good = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA });
    expect(good.json["reasons"]).toEqual(["policy_not_loaded"]);
    const version = good.json["replica_version"];
    expect(typeof version).toBe("string");

    const garbage = join(tmp.dir, "garbage.db");
    writeFileSync(garbage, "not sqlite at all");
    renameSync(garbage, path);
    await s.reloader.check();
    const still = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA });
    expect(still.json).toMatchObject({ reasons: ["policy_not_loaded"], replica_version: version });
    expect(await (await fetch(s.url + "/metrics")).text()).toMatch(/capgate_reloads_total\{kind="replica",outcome="refused"\} 2/);
  });
});

describe("observability", () => {
  it("serves /health and /ready", async () => {
    const h = await fetch(server.url + "/health");
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: "ok" });
    const r = await fetch(server.url + "/ready");
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, policy: { loaded: false, revision: null }, replica: { status: "current" } });
  });

  it("exposes decisions by name and outcome, latency, replica age in Prometheus format", async () => {
    const s = await start({ replica });
    for (let i = 0; i < 3; i++) await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA });
    await post(s.url, "/decide", { decision: "token.issue", input: ISSUE });
    const res = await fetch(s.url + "/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('capgate_decisions_total{decision="mfa.requirement",outcome="deny"} 3');
    expect(text).toContain('capgate_decisions_total{decision="token.issue",outcome="deny"} 1');
    expect(text).toContain('capgate_decision_duration_seconds_count{decision="mfa.requirement"} 3');
    expect(text).toMatch(/capgate_replica_age_seconds \d/);
    expect(text).toContain("# TYPE capgate_policy_revision_info gauge");
    expect(text).toContain("capgate_process_resident_memory_bytes");
  });

  it("writes one masked JSON line per decision, without the raw token", async () => {
    const s = await start({ replica });
    await post(s.url, "/decide", { decision: "token.validate", input: { tenant_id: "acme", token: JWT } });
    await post(s.url, "/decide", { batch: [{ decision: "token.issue", input: ISSUE }, { decision: "mfa.requirement", input: MFA }] });
    await s.decisionLog.flush();
    const text = readFileSync(s.decisionLogFile, "utf8");
    expect(text).not.toContain(JWT);
    expect(text).not.toContain(JWT.split(".")[1]);
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l["decision"])).toEqual(["token.validate", "token.issue", "mfa.requirement"]);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(["time", "decision_id", "decision", "input", "result", "policy_revision", "replica_version", "latency_ms"]),
      );
      expect((l["result"] as Record<string, unknown>)["decision_id"]).toBe(l["decision_id"]);
    }
    expect(lines[0]!["input"]).toEqual({ tenant_id: "acme", token: "[masked]" });
  });

  it("keeps deciding when the decision log cannot be written", async () => {
    const s = await start({ replica, decision_log: join(tmp.dir, "no-such-dir", "decisions.log") });
    for (let i = 0; i < 3; i++) {
      const r = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA });
      expect(r.status).toBe(200);
      expect(r.json["decision_id"]).toMatch(UUID);
    }
  });
});

describe("body limit", () => {
  it("refuses a chunked body (no content-length) over the limit, then answers the next request", async () => {
    const s = await start({ replica, max_body_bytes: 1024 });
    const big = JSON.stringify({ decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "x".repeat(4096) } });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(s.url + "/decide", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_input", details: { field: "body", problem: "body_too_large" } } });
    expect((await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA })).status).toBe(200);
  });
});

describe("admin token", () => {
  it("requires the bearer token on every route but /health", async () => {
    const s = await start({ replica, admin_token: "an-admin-token-of-length" });
    const denied = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA });
    expect(denied.status).toBe(401);
    expect(denied.json).toMatchObject({ error: { code: "invalid_input", details: { field: "authorization", problem: "unauthorized" } } });
    const wrong = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA }, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const ok = await post(s.url, "/decide", { decision: "mfa.requirement", input: MFA }, { headers: { authorization: "Bearer an-admin-token-of-length" } });
    expect(ok.status).toBe(200);
    expect((await fetch(s.url + "/health")).status).toBe(200);
    expect((await fetch(s.url + "/metrics")).status).toBe(401);
  });
});
