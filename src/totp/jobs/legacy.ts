// Moves legacy TOTP secrets (users.mfa_secret, in clear) into the encrypted
// form the sidecar reads (user_capability_state.data.secret_jwe), for every
// user the data migration enrolled in `totp`. Only rows still lacking a
// secret_jwe are written, so reruns and concurrent runs never overwrite one.
// Each secret_jwe written here is marked `jwe_source: "legacy"`;
// with `refresh`, a marked one whose legacy secret has since changed (the user
// re-enrolled in the legacy application) is encrypted anew, or withdrawn when
// verification could not use the new one (the old secret must stop working),
// and one enrolled some other way (no mark, another secret) is never touched.
// Nothing here prints, logs or puts into an error message any secret.
import { createHash } from "node:crypto";
import { type OTPGuardrails, ScureBase32Plugin } from "otplib";
import { CapgateError } from "../../errors.js";
import { readMigrationState } from "../../migrate/state.js";
import type { Queryable } from "../../primary/index.js";
import { decryptTotpSecret, encryptTotpSecret, secretGuardrails } from "../index.js";

/** The migration that enrolls legacy users in `totp`; before it there is nothing to encrypt into. */
const ENROLLING_MIGRATION = 4;

export type LegacySkipReason =
  /** Not something otplib's base32 decoder accepts. */
  | "not_base32"
  /** Base32, but decodes to a length otplib refuses to verify with. */
  | "bad_length"
  /** The row changed between read and write (secret, enrollment, or a concurrent run). */
  | "changed"
  /** refresh: the stored secret_jwe does not open with this key (another key, or damaged); left alone. */
  | "undecryptable"
  /** refresh: the stored secret was not made from users.mfa_secret (enrolled some other way); left alone. */
  | "not_from_legacy";

export interface SkippedUsers {
  count: number;
  /** The first few user ids, in id order. */
  sample: string[];
}

export interface LegacyEncryptResult {
  /** Rows that had no secret_jwe and got one. */
  encrypted: number;
  /** refresh: marked rows whose legacy secret changed, encrypted anew. */
  refreshed: number;
  /** refresh: unmarked rows holding exactly the legacy secret, now marked (their secret_jwe unchanged). */
  adopted: number;
  /** refresh: marked rows whose legacy secret changed to one verification cannot use; secret_jwe removed. */
  withdrawn: number;
  skipped: Record<LegacySkipReason, SkippedUsers>;
}

export interface LegacyEncryptOptions {
  /** Users read and written per round trip (default 1000). */
  batchSize?: number;
  /** How many user ids each skip reason keeps (default 5). */
  sampleSize?: number;
  /** Also follow legacy secrets that changed after their secret_jwe was written. */
  refresh?: boolean;
  /** The shortest usable secret in bytes: the sidecars' totp.min_secret_bytes (default 16). */
  minSecretBytes?: number;
}

/**
 * The mark on a secret_jwe made from users.mfa_secret. It reaches the replica
 * beside the capability's other data, so it avoids the word "secret": facts
 * holding it would take the slower secret-scrubbing path (src/server/decide/replica-facts.ts).
 */
const SOURCE = { key: "jwe_source", value: "legacy" } as const;

// Verification decodes and checks secrets with otplib's decoder and the same
// limits (secretGuardrails), so a secret is judged by exactly those rules: what
// passes here, verification can use.
const base32 = new ScureBase32Plugin();

function unusable(secret: string, limits: OTPGuardrails): "not_base32" | "bad_length" | null {
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
     SET data = s.data || jsonb_build_object('secret_jwe', v.jwe, '${SOURCE.key}', '${SOURCE.value}')
    FROM unnest($1::text[], $2::text[], $3::text[]) AS v(user_id, jwe, fingerprint), users u
   WHERE s.user_id = v.user_id AND s.capability_key = 'totp' AND s.status = 'enrolled'
     AND s.data->>'secret_jwe' IS NULL
     AND u.id = v.user_id AND encode(sha256(convert_to(u.mfa_secret, 'UTF8')), 'hex') = v.fingerprint
  RETURNING s.user_id`;

function selectStored(after: string | null): string {
  return `SELECT u.id, u.mfa_secret AS secret, s.data->>'secret_jwe' AS jwe, s.data->>'${SOURCE.key}' AS source
            FROM users u
            JOIN user_capability_state s
              ON s.user_id = u.id AND s.capability_key = 'totp' AND s.status = 'enrolled'
           WHERE u.mfa_secret IS NOT NULL AND s.data->>'secret_jwe' IS NOT NULL
             ${after === null ? "" : "AND u.id > $2"}
           ORDER BY u.id
           LIMIT $1`;
}

// A stored secret is replaced (marked only, when the new JWE is the old one;
// removed, when there is no new one) only while it is still the one that was
// read and the legacy secret still the one that was read.
const REPLACE_BATCH = `
  UPDATE user_capability_state s
     SET data = CASE WHEN v.jwe IS NULL THEN s.data - 'secret_jwe'
                     ELSE s.data || jsonb_build_object('secret_jwe', v.jwe, '${SOURCE.key}', '${SOURCE.value}') END
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v(user_id, old_jwe, jwe, fingerprint), users u
   WHERE s.user_id = v.user_id AND s.capability_key = 'totp' AND s.status = 'enrolled'
     AND s.data->>'secret_jwe' = v.old_jwe
     AND u.id = v.user_id AND encode(sha256(convert_to(u.mfa_secret, 'UTF8')), 'hex') = v.fingerprint
  RETURNING s.user_id, v.jwe IS NULL AS withdrawn, v.jwe IS NOT DISTINCT FROM v.old_jwe AS adopted`;

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
  const limits = await secretGuardrails(opts.minSecretBytes);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CapgateError("invalid_input", `batchSize must be a positive integer, got ${batchSize}`);
  await requireEnrollments(primary);

  const none = (): SkippedUsers => ({ count: 0, sample: [] });
  const result: LegacyEncryptResult = {
    encrypted: 0,
    refreshed: 0,
    adopted: 0,
    withdrawn: 0,
    skipped: { not_base32: none(), bad_length: none(), changed: none(), undecryptable: none(), not_from_legacy: none() },
  };
  const skip = (reason: LegacySkipReason, userId: string): void => {
    const s = result.skipped[reason];
    s.count++;
    if (s.sample.length < sampleSize) s.sample.push(userId);
  };

  await inBatches<{ id: string; secret: string }>(primary, selectBatch, batchSize, async (rows) => {
    const ids: string[] = [];
    const jwes: string[] = [];
    const fingerprints: string[] = [];
    for (const row of rows) {
      const problem = unusable(row.secret, limits);
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
  });
  if (opts.refresh === true) await refreshStored(primary, key, batchSize, limits, result, skip);
  return result;
}

/** The refresh pass: follows changed legacy secrets of marked rows, and marks unmarked rows that hold the legacy secret. */
async function refreshStored(
  primary: Queryable,
  key: Uint8Array,
  batchSize: number,
  limits: OTPGuardrails,
  result: LegacyEncryptResult,
  skip: (reason: LegacySkipReason, userId: string) => void,
): Promise<void> {
  type Row = { id: string; secret: string; jwe: string; source: string | null };
  await inBatches<Row>(primary, selectStored, batchSize, async (rows) => {
    const ids: string[] = [];
    const oldJwes: string[] = [];
    const jwes: Array<string | null> = [];
    const fingerprints: string[] = [];
    for (const row of rows) {
      let stored: string;
      try {
        stored = await decryptTotpSecret(row.jwe, row.id, key);
      } catch {
        skip("undecryptable", row.id);
        continue;
      }
      const same = stored === row.secret;
      if (same && row.source === SOURCE.value) continue;
      if (!same && row.source !== SOURCE.value) {
        skip("not_from_legacy", row.id);
        continue;
      }
      ids.push(row.id);
      oldJwes.push(row.jwe);
      if (same) jwes.push(row.jwe);
      else jwes.push(unusable(row.secret, limits) === null ? await encryptTotpSecret(row.secret, row.id, key) : null);
      fingerprints.push(fingerprint(row.secret));
    }
    if (ids.length > 0) {
      const written = await primary.query<{ user_id: string; withdrawn: boolean; adopted: boolean }>(REPLACE_BATCH, [ids, oldJwes, jwes, fingerprints]);
      for (const r of written.rows) {
        if (r.withdrawn) result.withdrawn++;
        else if (r.adopted) result.adopted++;
        else result.refreshed++;
      }
      const done = new Set(written.rows.map((r) => r.user_id));
      for (const id of ids) if (!done.has(id)) skip("changed", id);
    }
  });
}

/** Reads users in id order, batchSize at a time (keyset paging: `select(after)` takes $1 = limit, $2 = last id). */
async function inBatches<R extends { id: string }>(
  primary: Queryable,
  select: (after: string | null) => string,
  batchSize: number,
  handle: (rows: R[]) => Promise<void>,
): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const params: unknown[] = after === null ? [batchSize] : [batchSize, after];
    const { rows }: { rows: R[] } = await primary.query(select(after), params);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    await handle(rows);
    if (rows.length < batchSize) return;
  }
}
