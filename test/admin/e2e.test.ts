// End to end: the admin API writes on the PostgreSQL primary, a follower
// (capgate sync --follow's loop, default settings: LISTEN/NOTIFY plus a 1 s
// poll) carries the change into a SQLite replica, and a running sidecar over
// real HTTP with the real compiled policy answers token.issue differently.
// Prints the PUT-to-served time it saw (the bench measures it properly).
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken, loadAdminConfig, startAdminServer, type RunningAdminServer } from "../../src/admin/index.js";
import { openPrimary } from "../../src/primary/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { follow } from "../../src/sync/index.js";
import { freshPrimary, type TestPrimary } from "../helpers/primary.js";
import { buildReplica, buildTestBundle, post, startTestServer, tempDir } from "../server/helpers.js";
import { call, migrateToAdmin } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let tp: TestPrimary;
let sidecar: RunningServer;
let admin: RunningAdminServer;
let operator: string;
const stopFollowing = new AbortController();
let following: Promise<void>;

beforeAll(async () => {
  tmp = tempDir("capgate-admin-e2e-");
  tp = await freshPrimary("admin_e2e", "postgres");
  const replica = await buildReplica(tp.primary, tmp.dir);
  await migrateToAdmin(tp.primary);
  const bundle = await buildTestBundle(join(tmp.dir, "bundle.tar.gz"), "admin-e2e");
  sidecar = await startTestServer(tmp.dir, { replica, bundle, watch: true });
  const url = tp.databaseUrl!;
  following = follow({ connect: () => openPrimary({ databaseUrl: url, maxConnections: 1 }), listenUrl: url, replicaPath: replica, signal: stopFollowing.signal });
  admin = await startAdminServer({ config: loadAdminConfig({ flags: { port: 0, log_level: "silent" } }), primary: tp.primary });
  operator = (await createAdminToken(tp.primary, { role: "operator", name: "e2e-operator", actor: "test" })).token;
}, 180_000);

afterAll(async () => {
  stopFollowing.abort();
  await following;
  await admin?.close();
  await sidecar?.close();
  await tp?.cleanup();
  tmp?.remove();
});

async function ttlServed(tenant: string, user: string): Promise<unknown> {
  const r = await post(sidecar.url, "/decide", { decision: "token.issue", input: { tenant_id: tenant, user_id: user, token_type: "access", auth: { methods: ["pwd", "totp"] } } });
  return r.json["ttl_seconds"];
}

/** Asks until the sidecar answers `want` (a generous bound, not a timing assertion); returns the ms it took. */
async function until(tenant: string, user: string, want: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < 3000; i++) {
    if ((await ttlServed(tenant, user)) === want) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the sidecar never answered ttl_seconds ${want} for ${tenant}`);
}

describe("admin API to a following sidecar", () => {
  it("PUT /admin/v1/tenants/acme/capabilities/max_token_ttl changes what the sidecar answers for token.issue", async () => {
    expect(await ttlServed("acme", "u-alice")).toBe(900);
    const started = performance.now();
    const put = await call(admin.url, "PUT", "/admin/v1/tenants/acme/capabilities/max_token_ttl", { token: operator, body: { value: { seconds: 300 } } });
    expect(put.status).toBe(200);
    await until("acme", "u-alice", 300);
    console.log(`PUT-to-served on a following sidecar: ${(performance.now() - started).toFixed(0)} ms`);
    // DELETE: back to the catalog default (3600 s), served as such.
    expect((await call(admin.url, "DELETE", "/admin/v1/tenants/acme/capabilities/max_token_ttl", { token: operator })).status).toBe(200);
    await until("acme", "u-alice", 3600);
  });

  it("a rollout to 100% is served everywhere; its rollback is too, an administrator's change in between kept", async () => {
    expect(await ttlServed("globex", "u-carol")).toBe(3600);
    const created = await call(admin.url, "POST", "/admin/v1/rollouts", { token: operator, body: { capability: { key: "max_token_ttl", value: { seconds: 120 } }, stages: [50, 100] } });
    const id = created.json["id"] as string;
    for (let i = 0; i < 2; i++) expect((await call(admin.url, "POST", `/admin/v1/rollouts/${id}/advance`, { token: operator })).status).toBe(200);
    await until("globex", "u-carol", 120);
    await until("initech", "u-erin", 120);
    expect((await call(admin.url, "PUT", "/admin/v1/tenants/initech/capabilities/max_token_ttl", { token: operator, body: { value: { seconds: 450 } } })).status).toBe(200);
    await until("initech", "u-erin", 450);
    const back = await call(admin.url, "POST", `/admin/v1/rollouts/${id}/rollback`, { token: operator });
    expect(back.json["kept"]).toEqual([{ tenant_id: "initech", current: { seconds: 450 }, current_source: "admin" }]);
    await until("globex", "u-carol", 3600);
    expect(await ttlServed("initech", "u-erin")).toBe(450);
  });
});
