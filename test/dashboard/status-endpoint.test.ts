// POST /status on the admin server: a real sidecar's reports stored as its
// latest and as per-minute samples; only a sidecar-role token may report; an
// OPA agent's report (no capgate fields) is accepted; garbage is refused with
// the field named and stores nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFleet, readPlot } from "../../src/admin/dashboard/index.js";
import { post } from "../server/helpers.js";
import { dashboardFixture, type DashboardFixture } from "./fixture.js";
import { waitFor } from "./wait.js";

let f: DashboardFixture;

beforeAll(async () => {
  f = await dashboardFixture("status");
}, 180_000);

afterAll(async () => {
  await f?.close();
});

async function report(token: string | undefined, body: unknown, raw?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  const res = await fetch(`${f.url}/status`, { method: "POST", headers, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text === "" ? {} : (JSON.parse(text) as { error?: { message: string; details?: { field?: string } } }) };
}

async function stored(): Promise<string> {
  const a = await f.primary.query("SELECT sidecar_id, report::text, last_seen::text FROM sidecar_status ORDER BY 1");
  const b = await f.primary.query("SELECT * FROM sidecar_status_samples ORDER BY 1, 2, 3");
  return JSON.stringify([a.rows, b.rows]);
}

const OPA_REPORT = {
  labels: { id: "opa-agent-7", version: "1.4.2", region: "eu" },
  bundles: { authz: { name: "authz", active_revision: "abc123", last_successful_activation: "2026-01-01T00:00:00Z", metrics: {} } },
  plugins: { bundle: { state: "OK" }, decision_logs: { state: "OK" } },
  metrics: { prometheus: {} },
};

describe("POST /status", () => {
  it("stores a running sidecar's reports: the latest for the fleet, its decisions per minute for the plot", async () => {
    const sidecar = await f.sidecar("reporter-1");
    for (let i = 0; i < 4; i++)
      await post(sidecar.url, "/decide", { decision: "token.issue", input: { tenant_id: "acme", user_id: "u-bob", token_type: "access", auth: { methods: ["pwd"] } } });
    await waitFor(async () => (await readPlot(f.primary)).some((p) => p.decision === "token.issue" && p.deny_rate === 1), "the denied decisions to be reported");
    const fleet = await readFleet(f.primary);
    const me = fleet.find((s) => s.sidecar_id === "reporter-1")!;
    expect(me).toMatchObject({ policy_revision: "dash-rev-1", replica_status: "current", replica_version: sidecar.facts()!.state().version, version: expect.any(String) });
    expect(me.plugins["bundle"]).toEqual({ state: "OK" });
    const { rows } = await f.primary.query<{ reported_by: string }>("SELECT reported_by FROM sidecar_status WHERE sidecar_id = 'reporter-1'");
    expect(rows[0]!.reported_by).toBe("sidecar-fleet");
    // Stopped, so the checks below see only their own requests' effect.
    await sidecar.close();
  });

  it("accepts an OPA agent's report, which has no capgate fields", async () => {
    expect((await report(f.tokens.sidecar, OPA_REPORT)).status).toBe(204);
    const agent = (await readFleet(f.primary)).find((s) => s.sidecar_id === "opa-agent-7")!;
    expect(agent).toMatchObject({ version: "1.4.2", policy_revision: "abc123", replica_version: null, decisions_per_second: 0, deny_rate: null });
  });

  it("refuses a report without a token (401), or with a token of another role (403), and stores nothing", async () => {
    const before = await stored();
    expect((await report(undefined, OPA_REPORT)).status).toBe(401);
    expect((await report("cgadm_wrong", OPA_REPORT)).status).toBe(401);
    const op = await report(f.tokens.operator, OPA_REPORT);
    expect(op.status).toBe(403);
    expect(op.json.error?.message).toContain("role sidecar");
    expect((await report(f.tokens.viewer, OPA_REPORT)).status).toBe(403);
    expect(await stored()).toBe(before);
  });

  it("refuses garbage with the field named, and stores nothing", async () => {
    const before = await stored();
    const cases: Array<[unknown, string]> = [
      [{ ...OPA_REPORT, labels: {} }, "labels.id"],
      [{ ...OPA_REPORT, labels: { id: "" } }, "labels.id"],
      [{ ...OPA_REPORT, surprise: 1 }, "surprise"],
      [{ ...OPA_REPORT, plugins: { bundle: { state: 7 } } }, "plugins.bundle.state"],
      [{ labels: { id: "x" }, capgate: { nope: true } }, "capgate.started_at"],
      [[1, 2], "body"],
    ];
    for (const [body, field] of cases) {
      const r = await report(f.tokens.sidecar, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error?.details?.field, JSON.stringify(body)).toBe(field);
    }
    const malformed = await report(f.tokens.sidecar, undefined, "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.json.error?.details?.field).toBe("body");
    const windowWrong = {
      labels: { id: "x" },
      capgate: {
        started_at: "2026-01-01T00:00:00Z", uptime_seconds: 1, replica: { status: "current", version: "v", age_seconds: 0 }, window_seconds: 1,
        decisions: { "token.issue": { count: 1, denied: 2, per_second: 1, deny_rate: 1 } }, decisions_per_second: 1, deny_rate: 1,
      },
    };
    expect((await report(f.tokens.sidecar, windowWrong)).json.error?.details?.field).toBe("capgate.decisions.token.issue.denied");
    expect(await stored()).toBe(before);
  });
});
