// SQL on the user side: a user's capability states (secrets removed before
// they leave this file) and the rows an administrator's MFA reset deletes.
import type { Queryable } from "../../primary/index.js";
import { withoutSecrets } from "../../secrets.js";
import { isoSql } from "./time.js";

export interface UserCapability {
  status: string;
  source: string;
  data: unknown;
  updated_at: string;
}

export interface UserView {
  id: string;
  tenant_id: string;
  email: string | null;
  capabilities: Record<string, UserCapability>;
}

/** The user of that tenant (locked when `forUpdate`), or undefined. */
export async function readUser(db: Queryable, tenantId: string, userId: string, forUpdate = false): Promise<UserView | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, tenant_id, email FROM users WHERE id = $1 AND tenant_id = $2${forUpdate ? " FOR NO KEY UPDATE" : ""}`,
    [userId, tenantId],
  );
  const u = rows[0];
  if (u === undefined) return undefined;
  const states = await db.query<Record<string, unknown>>(
    `SELECT capability_key, status, source, data, ${isoSql("updated_at")} AS updated_at
       FROM user_capability_state WHERE user_id = $1 ORDER BY capability_key`,
    [userId],
  );
  const capabilities: Record<string, UserCapability> = {};
  for (const s of states.rows)
    capabilities[String(s["capability_key"])] = {
      status: String(s["status"]),
      source: String(s["source"]),
      data: withoutSecrets(s["data"]),
      updated_at: String(s["updated_at"]),
    };
  return { id: String(u["id"]), tenant_id: String(u["tenant_id"]), email: u["email"] === null ? null : String(u["email"]), capabilities };
}

export interface TotpResetResult {
  /** The totp state that was deleted (secrets removed), or null when there was none. */
  removed_state: UserCapability | null;
  pending_enrollments_removed: number;
  legacy_secret_cleared: boolean;
}

/**
 * Deletes what lets the user pass TOTP: the `totp` capability state, any
 * pending enrollment (table totp_enrollments, when migration 000007 made it),
 * the legacy users.mfa_secret a refresh would bring back, and the failure
 * count and lockout, so the user can enroll again at once.
 */
export async function resetTotp(tx: Queryable, user: UserView): Promise<TotpResetResult> {
  const removed = user.capabilities["totp"] ?? null;
  await tx.query("DELETE FROM user_capability_state WHERE user_id = $1 AND capability_key = 'totp'", [user.id]);
  const pending = await deletePendingEnrollments(tx, user);
  const legacy = await tx.query("UPDATE users SET mfa_secret = NULL WHERE id = $1 AND mfa_secret IS NOT NULL", [user.id]);
  await clearLockout(tx, user);
  return { removed_state: removed, pending_enrollments_removed: pending, legacy_secret_cleared: legacy.rowCount > 0 };
}

async function deletePendingEnrollments(tx: Queryable, user: UserView): Promise<number> {
  const { rows } = await tx.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'totp_enrollments'`,
  );
  const columns = new Set(rows.map((r) => r.column_name));
  if (!columns.has("user_id")) return 0;
  const where = ["user_id = $1"];
  const params: unknown[] = [user.id];
  if (columns.has("tenant_id")) {
    params.push(user.tenant_id);
    where.push(`tenant_id = $${params.length}`);
  }
  if (columns.has("status")) where.push("status = 'pending'");
  const r = await tx.query(`DELETE FROM totp_enrollments WHERE ${where.join(" AND ")}`, params);
  return r.rowCount;
}

/** Failures and lockout live in totp_verification_state from 000007 on, in totp_failures before. */
async function clearLockout(tx: Queryable, user: UserView): Promise<void> {
  const { rows } = await tx.query<{ state: boolean; failures: boolean }>(
    "SELECT to_regclass('totp_verification_state') IS NOT NULL AS state, to_regclass('totp_failures') IS NOT NULL AS failures",
  );
  if (rows[0]?.state === true)
    await tx.query(
      "UPDATE totp_verification_state SET consecutive_failures = 0, locked_until = NULL WHERE tenant_id = $1 AND user_id = $2",
      [user.tenant_id, user.id],
    );
  else if (rows[0]?.failures === true) await tx.query("DELETE FROM totp_failures WHERE user_id = $1", [user.id]);
}
