// Moves legacy TOTP secrets (users.mfa_secret, in clear) into the encrypted
// form the sidecar reads (user_capability_state.data.secret_jwe), for every
// user the data migration enrolled in `totp`. Only rows still lacking a
// secret_jwe are written, so reruns and concurrent runs never overwrite one.
// Nothing here prints, logs or puts into an error message any secret.
import { createHash } from "node:crypto";
import { createGuardrails, ScureBase32Plugin } from "otplib";
import { CapgateError } from "../errors.js";
import { readMigrationState } from "../migrate/state.js";
import type { Queryable } from "../primary/index.js";
import { encryptTotpSecret } from "./totp-secrets.js";

/** The migration that enrolls legacy users in `totp`; before it there is nothing to encrypt into. */
const ENROLLING_MIGRATION = 4;

export type LegacySkipReason =
  /** Not something otplib's base32 decoder accepts. */
  | "not_base32"
  /** Base32, but decodes to a length otplib refuses to verify with. */
  | "bad_length"
  /** The row changed between read and write (secret, enrollment, or a concurrent run). */
  | "changed";

export interface SkippedUsers {
  count: number;
  /** The first few user ids, in id order. */
  sample: string[];
}

export interface LegacyEncryptResult {
  encrypted: number;
  skipped: Record<LegacySkipReason, SkippedUsers>;
}

export interface LegacyEncryptOptions {
  /** Users read and written per round trip (default 1000). */
  batchSize?: number;
  /** How many user ids each skip reason keeps (default 5). */
  sampleSize?: number;
}

// Verification decodes and checks secrets with otplib's defaults, so a secret
// is judged by exactly those rules: what passes here, verification can use.
const base32 = new ScureBase32Plugin();
const limits = createGuardrails();

function unusable(secret: string): "not_base32" | "bad_length" | null {
  let bytes: Uint8Array;
  try {
    bytes = base32.decode(secret);
  } catch {
    // The decoder's message quotes a character of the secret: it is dropped, not passed on.
    return "not_base32";
  }
  return bytes.length < limits.MIN_SECRET_BYTES || bytes.length > limits.MAX_SECRET_BYTES ? "bad_length" : null;
}

/** A digest of the secret, so the write can check it is unchanged without sending the secret back. */
function fingerprint(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

function selectBatch(after: string | null): string {
  return `SELECT u.id, u.mfa_secret AS secret
            FROM users u
            JOIN user_capability_state s
              ON s.user_id = u.id AND s.capability_key = 'totp' AND s.status = 'enrolled'
           WHERE u.mfa_secret IS NOT NULL AND s.data->>'secret_jwe' IS NULL
             ${after === null ? "" : "AND u.id > $2"}
           ORDER BY u.id
           LIMIT $1`;
}

// Every condition of the read is checked again at the write, so a row another
// run filled, an unenrolled user or a secret changed meanwhile is left alone.
const UPDATE_BATCH = `
  UPDATE user_capability_state s
     SET data = s.data || jsonb_build_object('secret_jwe', v.jwe)
    FROM unnest($1::text[], $2::text[], $3::text[]) AS v(user_id, jwe, fingerprint), users u
   WHERE s.user_id = v.user_id AND s.capability_key = 'totp' AND s.status = 'enrolled'
     AND s.data->>'secret_jwe' IS NULL
     AND u.id = v.user_id AND encode(sha256(convert_to(u.mfa_secret, 'UTF8')), 'hex') = v.fingerprint
  RETURNING s.user_id`;

async function requireEnrollments(primary: Queryable): Promise<void> {
  const { version } = await readMigrationState(primary);
  if (version === null || version < ENROLLING_MIGRATION)
    throw new CapgateError(
      "migration_error",
      `the primary is at migration version ${version ?? "none"}; run \`capgate migrate up\` first (migration ${ENROLLING_MIGRATION} enrolls legacy TOTP users)`,
    );
}

export async function encryptLegacySecrets(
  primary: Queryable,
  key: Uint8Array,
  opts: LegacyEncryptOptions = {},
): Promise<LegacyEncryptResult> {
  const batchSize = opts.batchSize ?? 1000;
  const sampleSize = opts.sampleSize ?? 5;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CapgateError("invalid_input", `batchSize must be a positive integer, got ${batchSize}`);
  await requireEnrollments(primary);

  const result: LegacyEncryptResult = {
    encrypted: 0,
    skipped: { not_base32: { count: 0, sample: [] }, bad_length: { count: 0, sample: [] }, changed: { count: 0, sample: [] } },
  };
  const skip = (reason: LegacySkipReason, userId: string): void => {
    const s = result.skipped[reason];
    s.count++;
    if (s.sample.length < sampleSize) s.sample.push(userId);
  };

  let after: string | null = null;
  for (;;) {
    const params: unknown[] = after === null ? [batchSize] : [batchSize, after];
    const { rows }: { rows: Array<{ id: string; secret: string }> } = await primary.query(selectBatch(after), params);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;

    const ids: string[] = [];
    const jwes: string[] = [];
    const fingerprints: string[] = [];
    for (const row of rows) {
      const problem = unusable(row.secret);
      if (problem !== null) {
        skip(problem, row.id);
        continue;
      }
      ids.push(row.id);
      jwes.push(await encryptTotpSecret(row.secret, row.id, key));
      fingerprints.push(fingerprint(row.secret));
    }
    if (ids.length > 0) {
      const written = await primary.query<{ user_id: string }>(UPDATE_BATCH, [ids, jwes, fingerprints]);
      result.encrypted += written.rowCount;
      const done = new Set(written.rows.map((r) => r.user_id));
      for (const id of ids) if (!done.has(id)) skip("changed", id);
    }
    if (rows.length < batchSize) break;
  }
  return result;
}
