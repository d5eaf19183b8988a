// Admin bearer tokens (table admin_tokens). A token is 32 random bytes shown
// once; only its SHA-256 is stored, so a copy of the database grants nothing.
import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../../primary/index.js";
import type { Role } from "../principal.js";
import { isoSql } from "./time.js";

/** Every admin token starts with this, so a leaked one is recognisable in a scan. */
export const TOKEN_PREFIX = "cgadm_";

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  tenant_id: string | null;
  created_at: string;
  revoked_at: string | null;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

const COLUMNS = `id, name, role, tenant_id, ${isoSql("created_at")} AS created_at,
  CASE WHEN revoked_at IS NULL THEN NULL ELSE ${isoSql("revoked_at")} END AS revoked_at`;

export async function insertToken(
  tx: Queryable,
  t: { id: string; name: string; role: Role; tenant_id: string | null; hash: string },
): Promise<TokenRecord> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `INSERT INTO admin_tokens (id, name, role, tenant_id, token_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [t.id, t.name, t.role, t.tenant_id, t.hash],
  );
  return toRecord(rows[0]!);
}

export async function listTokens(db: Queryable): Promise<TokenRecord[]> {
  const { rows } = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM admin_tokens ORDER BY created_at, id`);
  return rows.map(toRecord);
}

export async function readToken(db: Queryable, id: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM admin_tokens WHERE id = $1`, [id]);
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

/** The live token with this hash. */
export async function findLiveToken(db: Queryable, hash: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM admin_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
    [hash],
  );
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

export async function markRevoked(tx: Queryable, id: string): Promise<TokenRecord | undefined> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `UPDATE admin_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

function toRecord(r: Record<string, unknown>): TokenRecord {
  return {
    id: String(r["id"]),
    name: String(r["name"]),
    role: String(r["role"]) as Role,
    tenant_id: r["tenant_id"] === null ? null : String(r["tenant_id"]),
    created_at: String(r["created_at"]),
    revoked_at: r["revoked_at"] === null ? null : String(r["revoked_at"]),
  };
}
