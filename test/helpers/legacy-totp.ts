// Legacy users with TOTP secrets in clear (users.mfa_secret), written the way
// a legacy application left them and enrolled in `totp` by the data
// migration's rules, for the suites of `capgate totp encrypt-secrets`.
import { generateSecret } from "otplib";
import type { Queryable } from "../../src/primary/index.js";

export const LEGACY_TENANT = "t-legacy";

export interface LegacyUser {
  id: string;
  secret: string | null;
}

/** A fresh random base32 secret of 20 bytes, as otplib generates for enrollment. */
export function newSecret(): string {
  return generateSecret();
}

/** Inserts the tenant and users (legacy tables only), then applies the data migration's rules. */
export async function insertLegacyUsers(primary: Queryable, users: readonly LegacyUser[]): Promise<void> {
  await primary.query(`INSERT INTO tenants (id, name) VALUES ($1, 'Legacy Ltd') ON CONFLICT (id) DO NOTHING`, [LEGACY_TENANT]);
  await primary.query(
    `INSERT INTO users (id, tenant_id, mfa_enabled, mfa_secret)
     SELECT id, $1, secret IS NOT NULL, secret FROM unnest($2::text[], $3::text[]) AS v(id, secret)`,
    [LEGACY_TENANT, users.map((u) => u.id), users.map((u) => u.secret)],
  );
  await primary.query(`SELECT capgate_apply_capability_rules()`);
}

/** user id → data.secret_jwe (null when absent) of every totp row. */
export async function storedJwes(primary: Queryable): Promise<Map<string, string | null>> {
  const { rows } = await primary.query<{ user_id: string; jwe: string | null }>(
    `SELECT user_id, data->>'secret_jwe' AS jwe FROM user_capability_state WHERE capability_key = 'totp' ORDER BY user_id`,
  );
  return new Map(rows.map((r) => [r.user_id, r.jwe]));
}
