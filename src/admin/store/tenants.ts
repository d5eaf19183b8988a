// SQL on the tenant side of the capability model: tenants, their capability
// values and features. Each row read comes with an ETag derived from what the
// row holds and when it last changed, for If-Match.
import { createHash } from "node:crypto";
import type { Queryable } from "../../primary/index.js";
import { inputError } from "../../server/http/http-error.js";
import { isoSql } from "./time.js";

export interface TenantRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface CapabilityState {
  value: Record<string, unknown>;
  /** `default` when the tenant has no row of its own (or the data migration's default row). */
  source: string;
  updated_at: string | null;
  etag: string;
}

export interface FeatureState {
  enabled: boolean;
  source: string;
  updated_at: string | null;
  etag: string;
}

/** A quoted strong ETag over a row's contents and time; the same value for "no row" of one default. */
export function etagOf(parts: readonly unknown[]): string {
  return `"${createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 22)}"`;
}

export function notFound(field: string, what: string) {
  return inputError(field, "not_found", what);
}

/** The tenant, locked against other admin writers until the transaction ends; 404 when unknown. */
export async function lockTenant(tx: Queryable, id: string): Promise<TenantRow> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT id, name, ${isoSql("created_at")} AS created_at, ${isoSql("updated_at")} AS updated_at
       FROM tenants WHERE id = $1 FOR NO KEY UPDATE`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw notFound("tenant", `no tenant ${JSON.stringify(id)}`);
  return toTenant(row);
}

export async function readTenant(db: Queryable, id: string): Promise<TenantRow | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, name, ${isoSql("created_at")} AS created_at, ${isoSql("updated_at")} AS updated_at FROM tenants WHERE id = $1`,
    [id],
  );
  return rows[0] === undefined ? undefined : toTenant(rows[0]);
}

/** One page of tenants ordered by id, after `after`; `only` restricts to one tenant. */
export async function listTenants(db: Queryable, opts: { after: string | null; limit: number; only: string | null }): Promise<TenantRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, name, ${isoSql("created_at")} AS created_at, ${isoSql("updated_at")} AS updated_at
       FROM tenants
      WHERE ($1::text IS NULL OR id > $1::text) AND ($2::text IS NULL OR id = $2::text)
      ORDER BY id LIMIT $3`,
    [opts.after, opts.only, opts.limit],
  );
  return rows.map(toTenant);
}

function toTenant(r: Record<string, unknown>): TenantRow {
  return { id: String(r["id"]), name: String(r["name"]), created_at: String(r["created_at"]), updated_at: String(r["updated_at"]) };
}

/** The tenant's own capability rows by key. */
export async function readCapabilityRows(
  db: Queryable,
  tenantId: string,
  key?: string,
): Promise<Map<string, { value: Record<string, unknown>; source: string; updated_at: string }>> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT capability_key, value, source, ${isoSql("updated_at")} AS updated_at
       FROM tenant_capabilities WHERE tenant_id = $1 AND ($2::text IS NULL OR capability_key = $2::text)`,
    [tenantId, key ?? null],
  );
  return new Map(
    rows.map((r) => [
      String(r["capability_key"]),
      { value: r["value"] as Record<string, unknown>, source: String(r["source"]), updated_at: String(r["updated_at"]) },
    ]),
  );
}

export function capabilityState(
  key: string,
  row: { value: Record<string, unknown>; source: string; updated_at: string } | undefined,
  defaultValue: Record<string, unknown>,
): CapabilityState {
  if (row === undefined) return { value: defaultValue, source: "default", updated_at: null, etag: etagOf(["capability", key, "none", defaultValue]) };
  return { ...row, etag: etagOf(["capability", key, row.source, row.updated_at, row.value]) };
}

export async function upsertCapability(tx: Queryable, tenantId: string, key: string, value: Record<string, unknown>): Promise<void> {
  await tx.query(
    `INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source) VALUES ($1, $2, $3::jsonb, 'admin')
     ON CONFLICT (tenant_id, capability_key) DO UPDATE SET value = EXCLUDED.value, source = 'admin'`,
    [tenantId, key, JSON.stringify(value)],
  );
}

export async function deleteCapability(tx: Queryable, tenantId: string, key: string): Promise<void> {
  await tx.query("DELETE FROM tenant_capabilities WHERE tenant_id = $1 AND capability_key = $2", [tenantId, key]);
}

export async function readFeatureRows(
  db: Queryable,
  tenantId: string,
  key?: string,
): Promise<Map<string, { enabled: boolean; source: string; updated_at: string }>> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT feature_key, enabled, source, ${isoSql("updated_at")} AS updated_at
       FROM tenant_features WHERE tenant_id = $1 AND ($2::text IS NULL OR feature_key = $2::text)`,
    [tenantId, key ?? null],
  );
  return new Map(
    rows.map((r) => [String(r["feature_key"]), { enabled: r["enabled"] === true, source: String(r["source"]), updated_at: String(r["updated_at"]) }]),
  );
}

/** A feature with no row is off: that is how the policy reads a missing feature. */
export function featureState(key: string, row: { enabled: boolean; source: string; updated_at: string } | undefined): FeatureState {
  if (row === undefined) return { enabled: false, source: "default", updated_at: null, etag: etagOf(["feature", key, "none"]) };
  return { ...row, etag: etagOf(["feature", key, row.source, row.updated_at, row.enabled]) };
}

export async function upsertFeature(tx: Queryable, tenantId: string, key: string, enabled: boolean): Promise<void> {
  await tx.query(
    `INSERT INTO tenant_features (tenant_id, feature_key, enabled, source) VALUES ($1, $2, $3, 'admin')
     ON CONFLICT (tenant_id, feature_key) DO UPDATE SET enabled = EXCLUDED.enabled, source = 'admin'`,
    [tenantId, key, enabled],
  );
}

type StoredRow = { value: Record<string, unknown>; source: string; updated_at: string };

/**
 * A write's preconditions: locks the tenant (404 when unknown), then finds the
 * capability in the catalog (404 when unknown) and reads the tenant's row for
 * it. Two statements on purpose: a statement that waited for the lock sees the
 * locked row anew but the rest of its join as of before the wait, so the row
 * is read only once the lock is held.
 */
export async function lockCapability(
  tx: Queryable,
  tenantId: string,
  key: string,
  kind?: string,
): Promise<{ defaultValue: Record<string, unknown>; row: StoredRow | undefined }> {
  await lockTenant(tx, tenantId);
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT c.default_value, tc.value, tc.source, ${isoSql("tc.updated_at")} AS updated_at, tf.enabled, tf.source AS f_source,
            ${isoSql("tf.updated_at")} AS f_updated_at, c.key IS NOT NULL AS known
       FROM tenants t
       LEFT JOIN capabilities c ON c.key = $2 AND ($3::text IS NULL OR c.kind = $3::text)
       LEFT JOIN tenant_capabilities tc ON tc.tenant_id = t.id AND tc.capability_key = $2
       LEFT JOIN tenant_features tf ON tf.tenant_id = t.id AND tf.feature_key = $2
      WHERE t.id = $1`,
    [tenantId, key, kind ?? null],
  );
  const r = rows[0];
  if (r === undefined) throw notFound("tenant", `no tenant ${JSON.stringify(tenantId)}`);
  if (r["known"] !== true) throw notFound("key", `no ${kind ?? "capability"} ${JSON.stringify(key)} in the catalog`);
  if (kind === "feature")
    return {
      defaultValue: {},
      row: r["enabled"] === null ? undefined : { value: { enabled: r["enabled"] === true }, source: String(r["f_source"]), updated_at: String(r["f_updated_at"]) },
    };
  return {
    defaultValue: r["default_value"] as Record<string, unknown>,
    row: r["value"] === null ? undefined : { value: r["value"] as Record<string, unknown>, source: String(r["source"]), updated_at: String(r["updated_at"]) },
  };
}

export interface WriteAudit {
  actor: string;
  action: string;
  target: string;
  before: unknown;
  request_id: string | null;
}

/** The upsert (source `admin`) and its audit row in one statement; returns the row written. */
export async function writeCapabilityAudited(tx: Queryable, tenantId: string, key: string, value: Record<string, unknown>, audit: WriteAudit): Promise<StoredRow> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `WITH up AS (
       INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source) VALUES ($1, $2, $3::jsonb, 'admin')
       ON CONFLICT (tenant_id, capability_key) DO UPDATE SET value = EXCLUDED.value, source = 'admin'
       RETURNING value, source, ${isoSql("updated_at")} AS updated_at
     ), logged AS (
       INSERT INTO admin_audit (actor, action, tenant_id, target, before, after, request_id)
       SELECT $4, $5, $1, $6, $7::jsonb, jsonb_build_object('value', value, 'source', source, 'updated_at', updated_at), $8 FROM up
     )
     SELECT value, source, updated_at FROM up`,
    [tenantId, key, JSON.stringify(value), audit.actor, audit.action, audit.target, JSON.stringify(audit.before), audit.request_id],
  );
  const r = rows[0]!;
  return { value: r["value"] as Record<string, unknown>, source: String(r["source"]), updated_at: String(r["updated_at"]) };
}

/** The feature upsert (source `admin`) and its audit row in one statement. */
export async function writeFeatureAudited(tx: Queryable, tenantId: string, key: string, enabled: boolean, audit: WriteAudit): Promise<{ enabled: boolean; source: string; updated_at: string }> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `WITH up AS (
       INSERT INTO tenant_features (tenant_id, feature_key, enabled, source) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT (tenant_id, feature_key) DO UPDATE SET enabled = EXCLUDED.enabled, source = 'admin'
       RETURNING enabled, source, ${isoSql("updated_at")} AS updated_at
     ), logged AS (
       INSERT INTO admin_audit (actor, action, tenant_id, target, before, after, request_id)
       SELECT $4, $5, $1, $6, $7::jsonb, jsonb_build_object('enabled', enabled, 'source', source, 'updated_at', updated_at), $8 FROM up
     )
     SELECT enabled, source, updated_at FROM up`,
    [tenantId, key, enabled, audit.actor, audit.action, audit.target, JSON.stringify(audit.before), audit.request_id],
  );
  const r = rows[0]!;
  return { enabled: r["enabled"] === true, source: String(r["source"]), updated_at: String(r["updated_at"]) };
}
