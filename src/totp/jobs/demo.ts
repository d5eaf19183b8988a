// The one demo user whose TOTP the Quickstart sets up, and the current code for
// it. The secret is the user's public demo secret from src/demo/seed.ts; the
// sidecar reads it encrypted (user_capability_state.data.secret_jwe), so the
// Quickstart stores it that way, as an enrollment flow would.
import { generate } from "otplib";
import { DEMO_USERS } from "../../demo/seed.js";
import { CapgateError } from "../../errors.js";
import type { Queryable } from "../../primary/index.js";
import { decodeKey, decryptTotpSecret, encryptTotpSecret } from "../index.js";

export const DEMO_TOTP_USER = "u-alice";

/** The base32 demo secret of a demo user that has one. */
export function demoTotpSecret(userId: string = DEMO_TOTP_USER): string {
  const user = DEMO_USERS.find((u) => u.id === userId);
  if (user === undefined) throw new CapgateError("invalid_input", `--user: ${JSON.stringify(userId)} is not a demo user`);
  if (user.mfaSecret === null) throw new CapgateError("invalid_input", `--user: demo user ${userId} has no TOTP secret`);
  return user.mfaSecret;
}

/** The TOTP code of the demo secret at `nowMs` (default: now). */
export function demoTotpCode(userId: string = DEMO_TOTP_USER, nowMs: number = Date.now()): Promise<string> {
  return generate({ secret: demoTotpSecret(userId), epoch: Math.floor(nowMs / 1000) });
}

/**
 * Stores the demo user's secret as a JWE under `key`, unless what is stored
 * already decrypts to it (so a rerun changes nothing). Returns whether it wrote.
 */
export async function enrollDemoTotp(primary: Queryable, totpKey: string, userId: string = DEMO_TOTP_USER): Promise<boolean> {
  const secret = demoTotpSecret(userId);
  const key = decodeKey(totpKey);
  const { rows } = await primary.query<{ jwe: string | null }>(
    `SELECT data->>'secret_jwe' AS jwe FROM user_capability_state
      WHERE user_id = $1 AND capability_key = 'totp' AND status = 'enrolled'`,
    [userId],
  );
  const row = rows[0];
  if (row === undefined)
    throw new CapgateError("migration_error", `demo user ${userId} is not enrolled in totp; the data migration did not run on the demo rows`);
  if (row.jwe !== null) {
    const current = await decryptTotpSecret(row.jwe, userId, key).catch(() => null);
    if (current === secret) return false;
  }
  const jwe = await encryptTotpSecret(secret, userId, key);
  await primary.query(
    `UPDATE user_capability_state SET data = data || jsonb_build_object('secret_jwe', $2::text)
      WHERE user_id = $1 AND capability_key = 'totp'`,
    [userId, jwe],
  );
  return true;
}
