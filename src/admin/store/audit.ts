// The audit trail (table admin_audit): one row per change, written in the
// change's own transaction, read newest first. The table refuses UPDATE and
// DELETE by trigger; nothing here offers either.
import type { Queryable } from "../../primary/index.js";
import { isoSql } from "./time.js";

export interface AuditEntry {
  actor: string;
  action: string;
  tenant_id: string | null;
  target: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  at: string;
}

export async function writeAudit(tx: Queryable, e: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO admin_audit (actor, action, tenant_id, target, before, after, request_id)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
    [e.actor, e.action, e.tenant_id, e.target, jsonOrNull(e.before), jsonOrNull(e.after), e.request_id],
  );
}

/** Many entries in one statement (a rollout step touches many tenants). */
export async function writeAuditMany(tx: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO admin_audit (actor, action, tenant_id, target, before, after, request_id)
     SELECT e.actor, e.action, e.tenant_id, e.target, e.before, e.after, e.request_id
       FROM jsonb_to_recordset($1::jsonb)
         AS e(actor text, action text, tenant_id text, target text, before jsonb, after jsonb, request_id text)`,
    [JSON.stringify(entries)],
  );
}

function jsonOrNull(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

export interface AuditQuery {
  tenant: string | null;
  actor: string | null;
  since: string | null;
  /** Only entries with a smaller id (the cursor). */
  before_id: string | null;
  limit: number;
}

export async function readAudit(db: Queryable, q: AuditQuery): Promise<AuditRecord[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id::text AS id, ${isoSql("at")} AS at, actor, action, tenant_id, target, before, after, request_id
       FROM admin_audit
      WHERE ($1::text IS NULL OR tenant_id = $1::text)
        AND ($2::text IS NULL OR actor = $2::text)
        AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)
        AND ($4::bigint IS NULL OR id < $4::bigint)
      ORDER BY admin_audit.id DESC LIMIT $5`,
    [q.tenant, q.actor, q.since, q.before_id, q.limit],
  );
  return rows.map((r) => ({
    id: String(r["id"]),
    at: String(r["at"]),
    actor: String(r["actor"]),
    action: String(r["action"]),
    tenant_id: r["tenant_id"] === null ? null : String(r["tenant_id"]),
    target: String(r["target"]),
    before: r["before"] ?? null,
    after: r["after"] ?? null,
    request_id: r["request_id"] === null ? null : String(r["request_id"]),
  }));
}
