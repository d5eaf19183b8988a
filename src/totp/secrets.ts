// Where the sidecar gets a user's TOTP secret, and how secrets are kept
// encrypted at rest. A stored secret is a compact JWE (dir + A256GCM) made with
// the configured 32-byte key; its protected header names the user, so a
// ciphertext copied onto another user's row does not decrypt as theirs.
// The secret is read from the primary (user_capability_state, capability
// `totp`, data.secret_jwe) until the replica carries the same ciphertext.
// jose by subpath: its index loads every JWS/JWE/JWT/JWKS module at start-up.
import { compactDecrypt } from "jose/jwe/compact/decrypt";
import { CompactEncrypt } from "jose/jwe/compact/encrypt";
import { CapgateError } from "../errors.js";
import type { Queryable } from "../primary/index.js";

export interface StoredTotpSecret {
  /** The encrypted secret (compact JWE), or null when the user is not enrolled in totp. */
  jwe: string | null;
}

export interface TotpSecretSource {
  /** The user's encrypted secret, or null when the tenant has no such user. */
  lookup(tenantId: string, userId: string): Promise<StoredTotpSecret | null>;
}

export function primaryTotpSecrets(db: Queryable): TotpSecretSource {
  return {
    async lookup(tenantId: string, userId: string): Promise<StoredTotpSecret | null> {
      let rows: Array<{ jwe: string | null }>;
      try {
        ({ rows } = await db.query<{ jwe: string | null }>(
          `SELECT s.data->>'secret_jwe' AS jwe
             FROM users u
             LEFT JOIN user_capability_state s
               ON s.user_id = u.id AND s.capability_key = 'totp' AND s.status = 'enrolled'
            WHERE u.id = $1 AND u.tenant_id = $2`,
          [userId, tenantId],
        ));
      } catch (e) {
        throw new CapgateError("database_error", `TOTP secret lookup failed on the primary: ${(e as Error).message}`, { cause: e });
      }
      const row = rows[0];
      return row === undefined ? null : { jwe: row.jwe };
    },
  };
}

export function decodeKey(base64url: string): Uint8Array {
  const key = Buffer.from(base64url, "base64url");
  if (key.length !== 32) throw new CapgateError("config_error", "totp.encryption_key: must be base64url of exactly 32 bytes");
  return new Uint8Array(key);
}

/** Encrypts a base32 TOTP secret for storage (used when enrolling a user). */
export async function encryptTotpSecret(secret: string, userId: string, key: Uint8Array): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(secret))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", sub: userId, typ: "capgate-totp-secret" })
    .encrypt(key);
}

/** Decrypts a stored secret; a wrong key, a damaged or a foreign ciphertext is a database_error. */
export async function decryptTotpSecret(jwe: string, userId: string, key: Uint8Array): Promise<string> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    if (protectedHeader["sub"] !== userId) throw new Error("the secret belongs to another user");
    return new TextDecoder().decode(plaintext);
  } catch (e) {
    throw new CapgateError("database_error", `the stored TOTP secret of user ${JSON.stringify(userId)} cannot be decrypted: ${(e as Error).message}`);
  }
}
