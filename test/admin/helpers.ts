// Shared set-up for the admin API suites: a fresh primary (PostgreSQL from
// CAPGATE_TEST_DATABASE_URL, or PGlite) migrated through 000008 with the demo
// tenants and users, one token per role, and the admin server on an
// ephemeral loopback port, called over real HTTP.
import type { Logger } from "pino";
import { migrate } from "../../src/migrate/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import { createAdminToken, loadAdminConfig, startAdminServer, type RunningAdminServer } from "../../src/admin/index.js";
import type { Primary } from "../../src/primary/index.js";
import { freshPrimary, type Engine, type TestPrimary } from "../helpers/primary.js";
import { tempMigrations } from "../helpers/migrations-dir.js";

export const ADMIN_VERSION = 8;

export interface Tokens {
  operator: string;
  acmeAdmin: string;
  globexAdmin: string;
  viewer: string;
  acmeViewer: string;
  sidecar: string;
}

export interface AdminFixture {
  tp: TestPrimary;
  primary: Primary;
  server: RunningAdminServer;
  url: string;
  tokens: Tokens;
  close(): Promise<void>;
}

/** Migrates `primary` to the admin schema (the shipped migrations up to 000008). */
export async function migrateToAdmin(primary: Primary, upTo = ADMIN_VERSION): Promise<void> {
  const dir = tempMigrations(upTo);
  try {
    await migrate(primary, { goto: upTo }, { dir: dir.dir });
  } finally {
    dir.remove();
  }
}

export async function adminFixture(area: string, engine?: Engine, config: Record<string, unknown> = {}, logger?: Logger): Promise<AdminFixture> {
  const tp = await freshPrimary(`admin_${area}`, engine);
  try {
    await migrateToAdmin(tp.primary);
    await seedDemo(tp.primary);
    const actor = "test";
    const make = async (role: string, name: string, tenant?: string) =>
      (await createAdminToken(tp.primary, { role, name, tenant, actor })).token;
    const tokens: Tokens = {
      operator: await make("operator", "ops-olivia"),
      acmeAdmin: await make("tenant-admin", "acme-admin", "acme"),
      globexAdmin: await make("tenant-admin", "globex-admin", "globex"),
      viewer: await make("viewer", "view-victor"),
      acmeViewer: await make("viewer", "acme-viewer", "acme"),
      sidecar: await make("sidecar", "sidecar-1"),
    };
    const server = await startAdminServer({
      config: loadAdminConfig({ flags: { port: 0, log_level: process.env["CAPGATE_TEST_LOG"] ?? "silent", ...config } }),
      primary: tp.primary,
      ...(logger !== undefined ? { logger } : {}),
    });
    return { tp, primary: tp.primary, server, url: server.url, tokens, close: async () => { await server.close(); await tp.cleanup(); } };
  } catch (e) {
    await tp.cleanup();
    throw e;
  }
}

export interface Answer {
  status: number;
  json: Record<string, any>;
  headers: Headers;
}

/** One real HTTP request; `body` is sent as JSON unless `raw` is given. */
export async function call(
  url: string,
  method: string,
  path: string,
  opts: { token?: string | undefined; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers["authorization"] = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (body === undefined && opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = text === "" ? {} : (JSON.parse(text) as Record<string, any>);
  } catch {
    json = { text };
  }
  return { status: res.status, json, headers: res.headers };
}

/** Everything an admin request could change, to show a refused one changed nothing. */
export async function stateOf(primary: Primary): Promise<string> {
  const parts: string[] = [];
  for (const sql of [
    "SELECT tenant_id, capability_key, value::text, source, updated_at::text FROM tenant_capabilities ORDER BY 1, 2",
    "SELECT tenant_id, feature_key, enabled, source, updated_at::text FROM tenant_features ORDER BY 1, 2",
    "SELECT user_id, capability_key, status, data::text, updated_at::text FROM user_capability_state ORDER BY 1, 2",
    "SELECT id, mfa_secret FROM users ORDER BY 1",
    "SELECT count(*)::text AS n, max(id)::text AS last FROM admin_audit",
    "SELECT id, status, current_stage FROM admin_rollouts ORDER BY 1",
    "SELECT rollout_id, tenant_id, outcome FROM admin_rollout_rows ORDER BY 1, 2",
    "SELECT count(*)::text AS n FROM capgate_change_log",
  ]) parts.push(JSON.stringify((await primary.query(sql)).rows));
  return parts.join("\n");
}
