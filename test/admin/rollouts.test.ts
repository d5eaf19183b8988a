// Staged rollouts over real HTTP on a real primary: stages chosen by the
// stable tenant hash only ever add tenants, allow and deny lists hold, a
// rollout advanced to 100% and rolled back restores exactly the rows it wrote
// and nobody changed since, keeping and listing an administrator's changes
// made in between; every step is audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inStage, tenantBucket } from "../../src/admin/index.js";
import { testEngines } from "../helpers/primary.js";
import { adminFixture, call, stateOf, type AdminFixture } from "./helpers.js";

type Rows = Map<string, string>;

async function ttlRows(f: AdminFixture): Promise<Rows> {
  const { rows } = await f.primary.query<{ tenant_id: string; v: string }>(
    "SELECT tenant_id, value::text || ' ' || source AS v FROM tenant_capabilities WHERE capability_key = 'max_token_ttl'",
  );
  return new Map(rows.map((r) => [r.tenant_id, r.v]));
}

describe.each(testEngines())("rollouts on %s", (engine) => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await adminFixture(`rollouts_${engine}`, engine);
    await f.primary.exec("INSERT INTO tenants (id, name) SELECT 't' || lpad(g::text, 3, '0'), 'Tenant ' || g FROM generate_series(0, 199) g");
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it("advances through every stage to 100%, then rolls back keeping an administrator's changes made meanwhile", async () => {
    const original = await ttlRows(f);
    const allTenants = (await f.primary.query<{ id: string }>("SELECT id FROM tenants ORDER BY id")).rows.map((r) => r.id);
    const created = await call(f.url, "POST", "/admin/v1/rollouts", {
      token: f.tokens.operator,
      body: { capability: { key: "max_token_ttl", value: { seconds: 600 } }, stages: [5, 25, 50, 100], allow: ["acme"], deny: ["globex"] },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: "active", current_stage: 0, target: { kind: "capability", key: "max_token_ttl" }, rollback: null });
    const id = created.json["id"] as string;
    expect(await ttlRows(f)).toEqual(original);
    // Reading spans tenants: viewers may, a tenant admin may not; only an operator steps.
    expect((await call(f.url, "GET", `/admin/v1/rollouts/${id}`, { token: f.tokens.viewer })).status).toBe(200);
    const untouched = await stateOf(f.primary);
    for (const [method, path, token, status] of [
      ["GET", `/rollouts/${id}`, f.tokens.acmeAdmin, 403],
      ["POST", `/rollouts/${id}/advance`, f.tokens.viewer, 403],
      ["POST", `/rollouts/${id}/advance`, f.tokens.acmeAdmin, 403],
      ["POST", `/rollouts/${id}/rollback`, f.tokens.viewer, 403],
      ["POST", `/rollouts/${id}/advance`, undefined, 401],
    ] as const) {
      expect([method, path, (await call(f.url, method, `/admin/v1${path}`, { token })).status]).toEqual([method, path, status]);
      expect(await stateOf(f.primary)).toBe(untouched);
    }
    const preview = created.json["stages"] as Array<{ tenants: string[]; applied: boolean }>;
    expect(preview[0]!.tenants).toContain("acme");
    expect(preview.every((s) => !s.applied && !s.tenants.includes("globex"))).toBe(true);

    // Stage 1 (5%) and the administrator's changes to two of its tenants.
    const s1 = await call(f.url, "POST", `/admin/v1/rollouts/${id}/advance`, { token: f.tokens.operator });
    expect(s1.status).toBe(200);
    const stage1 = (s1.json["stages"] as Array<{ tenants: string[] }>)[0]!.tenants;
    expect(stage1).toEqual(preview[0]!.tenants);
    const hashed = stage1.filter((t) => t !== "acme");
    expect(hashed.length).toBeGreaterThan(2);
    expect(hashed.every((t) => tenantBucket(t) < 500)).toBe(true);
    const rows1 = await ttlRows(f);
    for (const t of stage1) expect(rows1.get(t)).toBe('{"seconds": 600} admin');
    for (const t of allTenants.filter((x) => !stage1.includes(x))) expect(rows1.get(t)).toBe(original.get(t));
    const [changed, removed] = hashed as [string, string];
    expect((await call(f.url, "PUT", `/admin/v1/tenants/${changed}/capabilities/max_token_ttl`, { token: f.tokens.operator, body: { value: { seconds: 7200 } } })).status).toBe(200);
    expect((await call(f.url, "DELETE", `/admin/v1/tenants/${removed}/capabilities/max_token_ttl`, { token: f.tokens.operator })).status).toBe(200);

    // Stages 2..4: each only adds tenants, and never rewrites one already written.
    let covered = new Set(stage1);
    for (const [i, percent] of [[1, 25], [2, 50], [3, 100]] as const) {
      const step = await call(f.url, "POST", `/admin/v1/rollouts/${id}/advance`, { token: f.tokens.operator });
      expect(step.status).toBe(200);
      const stage = step.json["stages"][i] as { tenants: string[]; applied: boolean; percent: number };
      expect(stage).toMatchObject({ applied: true, percent });
      for (const t of stage.tenants) {
        expect(covered.has(t)).toBe(false);
        expect(inStage(t, percent, { allow: ["acme"], deny: ["globex"] })).toBe(true);
      }
      covered = new Set([...covered, ...stage.tenants]);
    }
    expect(covered).toEqual(new Set(allTenants.filter((t) => t !== "globex")));
    const full = await ttlRows(f);
    expect(full.get(changed)).toBe('{"seconds": 7200} admin');
    expect(full.has(removed)).toBe(false);
    expect(full.get("globex")).toBe(original.get("globex"));
    const done = await call(f.url, "GET", `/admin/v1/rollouts/${id}`, { token: f.tokens.viewer });
    expect(done.json).toMatchObject({ status: "completed", current_stage: 4 });
    const more = await call(f.url, "POST", `/admin/v1/rollouts/${id}/advance`, { token: f.tokens.operator });
    expect(more.status).toBe(409);

    // Rollback: every untouched row back as it was, the two changed ones kept and listed.
    const back = await call(f.url, "POST", `/admin/v1/rollouts/${id}/rollback`, { token: f.tokens.operator });
    expect(back.status).toBe(200);
    expect((back.json["kept"] as Array<{ tenant_id: string }>).map((k) => k.tenant_id).sort()).toEqual([changed, removed].sort());
    expect(back.json["kept"]).toContainEqual({ tenant_id: changed, current: { seconds: 7200 }, current_source: "admin" });
    expect(back.json["kept"]).toContainEqual({ tenant_id: removed, current: null, current_source: null });
    expect((back.json["restored"] as unknown[]).length).toBe(covered.size - 2);
    expect(back.json["rollout"]).toMatchObject({ status: "rolled_back", rollback: { kept: [changed, removed].sort() } });
    const after = await ttlRows(f);
    const expected = new Map(original);
    expected.set(changed, '{"seconds": 7200} admin');
    expected.delete(removed);
    expect(after).toEqual(expected);

    const again = await call(f.url, "POST", `/admin/v1/rollouts/${id}/rollback`, { token: f.tokens.operator });
    expect(again.status).toBe(409);

    // Audited: each step once for the rollout, and per tenant row written or restored.
    const trail = await f.primary.query<{ action: string; n: string }>(
      "SELECT action, count(*)::text AS n FROM admin_audit WHERE target = $1 GROUP BY action ORDER BY action",
      [`rollouts/${id}`],
    );
    expect(trail.rows).toEqual([
      { action: "rollout.advance", n: "4" },
      { action: "rollout.create", n: "1" },
      { action: "rollout.rollback", n: "1" },
    ]);
    const perTenant = await f.primary.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM admin_audit WHERE action = 'rollout.advance' AND tenant_id IS NOT NULL AND after ->> 'rollout' = $1",
      [id],
    );
    expect(Number(perTenant.rows[0]!.n)).toBe(covered.size);
  });

  it("rolls a feature out and back, a tenant without a row returning to none", async () => {
    const before = await f.primary.query("SELECT tenant_id, enabled, source FROM tenant_features ORDER BY tenant_id");
    const r = await call(f.url, "POST", "/admin/v1/rollouts", { token: f.tokens.operator, body: { feature: { key: "mfa", enabled: true }, stages: [100] } });
    expect(r.status).toBe(201);
    const id = r.json["id"] as string;
    await call(f.url, "POST", `/admin/v1/rollouts/${id}/advance`, { token: f.tokens.operator, body: {} });
    const on = await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM tenant_features WHERE feature_key = 'mfa' AND enabled");
    expect(Number(on.rows[0]!.n)).toBe((await f.primary.query("SELECT 1 FROM tenants")).rows.length);
    const back = await call(f.url, "POST", `/admin/v1/rollouts/${id}/rollback`, { token: f.tokens.operator });
    expect(back.json).toMatchObject({ kept: [] });
    expect((await f.primary.query("SELECT tenant_id, enabled, source FROM tenant_features ORDER BY tenant_id")).rows).toEqual(before.rows);
  });

  it("refuses a step's body with fields, changing nothing", async () => {
    const r = await call(f.url, "POST", "/admin/v1/rollouts", { token: f.tokens.operator, body: { feature: { key: "mfa", enabled: true }, stages: [10] } });
    const state = await stateOf(f.primary);
    const bad = await call(f.url, "POST", `/admin/v1/rollouts/${r.json["id"]}/advance`, { token: f.tokens.operator, body: { stage: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.json["error"]["details"]).toEqual({ field: "stage", problem: "unknown_field" });
    expect(await stateOf(f.primary)).toBe(state);
  });
});
