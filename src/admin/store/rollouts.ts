// SQL for staged rollouts: the rollout itself (admin_rollouts) and each
// tenant row it wrote with what was there before (admin_rollout_rows).
import type { Queryable } from "../../primary/index.js";
import { isoSql } from "./time.js";

export type RolloutTargetKind = "capability" | "feature";

export interface RolloutRecord {
  id: string;
  target_kind: RolloutTargetKind;
  target_key: string;
  value: Record<string, unknown>;
  stages: number[];
  allow: string[];
  deny: string[];
  current_stage: number;
  status: "active" | "completed" | "rolled_back";
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface RolloutRow {
  tenant_id: string;
  stage: number;
  before_value: Record<string, unknown> | null;
  before_source: string | null;
  written_at: string;
  outcome: "restored" | "kept" | null;
}

const COLUMNS = `id, target_kind, target_key, value, stages, allow_tenants, deny_tenants, current_stage, status, created_by,
  ${isoSql("created_at")} AS created_at, ${isoSql("updated_at")} AS updated_at`;

export async function insertRollout(
  tx: Queryable,
  r: Pick<RolloutRecord, "id" | "target_kind" | "target_key" | "value" | "stages" | "allow" | "deny" | "created_by">,
): Promise<RolloutRecord> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `INSERT INTO admin_rollouts (id, target_kind, target_key, value, stages, allow_tenants, deny_tenants, created_by)
     VALUES ($1, $2, $3, $4::jsonb, $5::integer[], $6::text[], $7::text[], $8) RETURNING ${COLUMNS}`,
    [r.id, r.target_kind, r.target_key, JSON.stringify(r.value), r.stages, r.allow, r.deny, r.created_by],
  );
  return toRollout(rows[0]!);
}

/** The rollout, locked for a step when `forUpdate`. */
export async function readRollout(db: Queryable, id: string, forUpdate = false): Promise<RolloutRecord | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM admin_rollouts WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0] === undefined ? undefined : toRollout(rows[0]);
}

export async function setRolloutState(tx: Queryable, id: string, currentStage: number, status: RolloutRecord["status"]): Promise<void> {
  await tx.query("UPDATE admin_rollouts SET current_stage = $2, status = $3, updated_at = now() WHERE id = $1", [id, currentStage, status]);
}

export async function readRolloutRows(db: Queryable, id: string): Promise<RolloutRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT tenant_id, stage, before_value, before_source, ${isoSql("written_at")} AS written_at, outcome
       FROM admin_rollout_rows WHERE rollout_id = $1 ORDER BY stage, tenant_id`,
    [id],
  );
  return rows.map((r) => ({
    tenant_id: String(r["tenant_id"]),
    stage: Number(r["stage"]),
    before_value: (r["before_value"] ?? null) as Record<string, unknown> | null,
    before_source: r["before_source"] === null ? null : String(r["before_source"]),
    written_at: String(r["written_at"]),
    outcome: (r["outcome"] ?? null) as RolloutRow["outcome"],
  }));
}

/** All tenant ids, in order (a stage is computed over every tenant). */
export async function allTenantIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM tenants ORDER BY id");
  return rows.map((r) => r.id);
}

/** Locks the tenants against single-row admin writes for the rest of the step. */
export async function lockTenants(tx: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query("SELECT id FROM tenants WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE", [ids]);
}

interface TargetSql {
  table: string;
  keyColumn: string;
  /** The row's state as the jsonb a rollout stores and compares. */
  valueExpr: string;
}

function targetSql(kind: RolloutTargetKind): TargetSql {
  return kind === "capability"
    ? { table: "tenant_capabilities", keyColumn: "capability_key", valueExpr: "t.value" }
    : {
        table: "tenant_features",
        keyColumn: "feature_key",
        // NULL for no row, as for a capability: never {"enabled": null}.
        valueExpr: "CASE WHEN t.tenant_id IS NULL THEN NULL ELSE jsonb_build_object('enabled', t.enabled) END",
      };
}

/**
 * Records what each tenant holds now, then writes the rollout's value for
 * them (source `admin`), all set-based; the caller holds the tenants' locks.
 */
export async function applyStage(tx: Queryable, r: RolloutRecord, stage: number, tenants: readonly string[]): Promise<void> {
  if (tenants.length === 0) return;
  const t = targetSql(r.target_kind);
  await tx.query(
    `INSERT INTO admin_rollout_rows (rollout_id, tenant_id, stage, before_value, before_source, written_at)
     SELECT $1, c.id, $2, ${t.valueExpr}, t.source, now()
       FROM unnest($3::text[]) AS c(id)
       LEFT JOIN ${t.table} t ON t.tenant_id = c.id AND t.${t.keyColumn} = $4`,
    [r.id, stage, tenants, r.target_key],
  );
  if (r.target_kind === "capability")
    await tx.query(
      `INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
       SELECT c.id, $2, $3::jsonb, 'admin' FROM unnest($1::text[]) AS c(id)
       ON CONFLICT (tenant_id, capability_key) DO UPDATE SET value = EXCLUDED.value, source = 'admin'`,
      [tenants, r.target_key, JSON.stringify(r.value)],
    );
  else
    await tx.query(
      `INSERT INTO tenant_features (tenant_id, feature_key, enabled, source)
       SELECT c.id, $2, $3, 'admin' FROM unnest($1::text[]) AS c(id)
       ON CONFLICT (tenant_id, feature_key) DO UPDATE SET enabled = EXCLUDED.enabled, source = 'admin'`,
      [tenants, r.target_key, r.value["enabled"] === true],
    );
}

export interface RollbackOutcome {
  restored: Array<{ tenant_id: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>;
  kept: Array<{ tenant_id: string; current: Record<string, unknown> | null; current_source: string | null }>;
}

/**
 * Puts back what was there before, for rows that still hold exactly what the
 * rollout wrote (same value, source `admin`, unchanged since it was written);
 * any other row was changed by an administrator meanwhile and is kept.
 */
export async function rollBack(tx: Queryable, r: RolloutRecord): Promise<RollbackOutcome> {
  const t = targetSql(r.target_kind);
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT w.tenant_id, w.before_value, w.before_source, ${t.valueExpr} AS current, t.source AS current_source,
            (t.tenant_id IS NOT NULL AND t.source = 'admin' AND t.updated_at = w.written_at
               AND ${t.valueExpr} = $3::jsonb) AS untouched
       FROM admin_rollout_rows w
       LEFT JOIN ${t.table} t ON t.tenant_id = w.tenant_id AND t.${t.keyColumn} = $2
      WHERE w.rollout_id = $1 AND w.outcome IS NULL
      ORDER BY w.tenant_id`,
    [r.id, r.target_key, JSON.stringify(rolloutStoredValue(r))],
  );
  const out: RollbackOutcome = { restored: [], kept: [] };
  const removeRow: string[] = [];
  const restore: Array<{ tenant_id: string; value: Record<string, unknown>; source: string }> = [];
  for (const row of rows) {
    const tenant = String(row["tenant_id"]);
    const before = (row["before_value"] ?? null) as Record<string, unknown> | null;
    if (row["untouched"] === true) {
      out.restored.push({ tenant_id: tenant, before: rolloutStoredValue(r), after: before });
      if (before === null) removeRow.push(tenant);
      else restore.push({ tenant_id: tenant, value: before, source: String(row["before_source"]) });
    } else {
      out.kept.push({
        tenant_id: tenant,
        current: (row["current"] ?? null) as Record<string, unknown> | null,
        current_source: row["current_source"] === null ? null : String(row["current_source"]),
      });
    }
  }
  if (removeRow.length > 0)
    await tx.query(`DELETE FROM ${t.table} WHERE ${t.keyColumn} = $1 AND tenant_id = ANY($2::text[])`, [r.target_key, removeRow]);
  if (restore.length > 0) {
    const set = r.target_kind === "capability" ? "value = v.value" : "enabled = (v.value ->> 'enabled')::boolean";
    await tx.query(
      `UPDATE ${t.table} AS t SET ${set}, source = v.source
         FROM jsonb_to_recordset($2::jsonb) AS v(tenant_id text, value jsonb, source text)
        WHERE t.tenant_id = v.tenant_id AND t.${t.keyColumn} = $1`,
      [r.target_key, JSON.stringify(restore)],
    );
  }
  await tx.query(
    `UPDATE admin_rollout_rows SET outcome = CASE WHEN tenant_id = ANY($2::text[]) THEN 'restored' ELSE 'kept' END
      WHERE rollout_id = $1 AND outcome IS NULL`,
    [r.id, out.restored.map((x) => x.tenant_id)],
  );
  return out;
}

/** The value as the rollout's rows hold it: a capability's value, or {"enabled": bool}. */
export function rolloutStoredValue(r: RolloutRecord): Record<string, unknown> {
  return r.target_kind === "capability" ? r.value : { enabled: r.value["enabled"] === true };
}

function toRollout(r: Record<string, unknown>): RolloutRecord {
  return {
    id: String(r["id"]),
    target_kind: String(r["target_kind"]) as RolloutTargetKind,
    target_key: String(r["target_key"]),
    value: r["value"] as Record<string, unknown>,
    stages: (r["stages"] as unknown[]).map(Number),
    allow: (r["allow_tenants"] as unknown[]).map(String),
    deny: (r["deny_tenants"] as unknown[]).map(String),
    current_stage: Number(r["current_stage"]),
    status: String(r["status"]) as RolloutRecord["status"],
    created_by: String(r["created_by"]),
    created_at: String(r["created_at"]),
    updated_at: String(r["updated_at"]),
  };
}
