// The few reads the dashboard needs that the admin API has no route for:
// tenants matching a search text, the users of a tenant, and the rollouts.
// Each answers ids only; the pages then read every item through the admin
// service, so they show exactly what the API shows under the same checks.
import type { Queryable } from "../../primary/index.js";
import { assertCanRead, assertCanReadAll, type Principal } from "../principal.js";

/** Tenant ids whose id or name contains `text` (case-insensitive), after `after`, limited to the caller's tenant. */
export async function searchTenantIds(db: Queryable, p: Principal, text: string, after: string | null, limit: number): Promise<string[]> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM tenants
      WHERE (id ILIKE $1 OR name ILIKE $1) AND ($2::text IS NULL OR id > $2::text) AND ($3::text IS NULL OR id = $3::text)
      ORDER BY id LIMIT $4`,
    [pattern, after, p.tenantId, limit],
  );
  return rows.map((r) => String(r.id));
}

/** User ids of one tenant, after `after`. */
export async function userIds(db: Queryable, p: Principal, tenantId: string, after: string | null, limit: number): Promise<string[]> {
  assertCanRead(p, tenantId);
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM users WHERE tenant_id = $1 AND ($2::text IS NULL OR id > $2::text) ORDER BY id LIMIT $3",
    [tenantId, after, limit],
  );
  return rows.map((r) => String(r.id));
}

/** Rollout ids, newest first. */
export async function rolloutIds(db: Queryable, p: Principal, limit: number): Promise<string[]> {
  assertCanReadAll(p);
  const { rows } = await db.query<{ id: string }>("SELECT id FROM admin_rollouts ORDER BY created_at DESC, id DESC LIMIT $1", [limit]);
  return rows.map((r) => String(r.id));
}
