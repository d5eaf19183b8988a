// What verification and enrollment need, assembled from the sidecar's config:
// the encryption key, the primary's stores, the assertion signer. Whatever is
// missing is named (TOTP answers not_configured with that list) rather than
// stopping the sidecar, whose decisions need none of it.
import { loadAssertionSigner, type AssertionSigner } from "./assertion.js";
import { primaryTotpEnrollments } from "./enroll.js";
import type { Queryable } from "../primary/index.js";
import { decodeKey, primaryTotpSecrets } from "./secrets.js";
import { primaryTotpStore } from "./store.js";
import { OTPLIB_MIN_SECRET_BYTES, type TotpDeps, type TotpSettings } from "./verify.js";

export interface TotpConfig {
  totp: TotpSettings & { encryption_key?: string | undefined };
  assertion: { signing_key_file?: string | undefined; issuer: string; ttl_seconds: number };
}

/**
 * The TOTP dependencies of one sidecar. A bad signing key file throws (it stops
 * start-up with a config_error); a missing key, primary or signer is listed.
 */
export async function totpDeps(
  config: TotpConfig,
  primary: Queryable | null,
  clock: () => number,
  warn: (fields: Record<string, unknown>, message: string) => void,
): Promise<TotpDeps> {
  const { totp, assertion } = config;
  let signer: AssertionSigner | null = null;
  if (assertion.signing_key_file !== undefined) signer = await loadAssertionSigner(assertion.signing_key_file, assertion.issuer, assertion.ttl_seconds);
  const missing: string[] = [];
  if (totp.encryption_key === undefined) missing.push("totp.encryption_key");
  if (primary === null) missing.push("database_url");
  if (signer === null) missing.push("assertion.signing_key_file");
  if (totp.min_secret_bytes < OTPLIB_MIN_SECRET_BYTES)
    warn({ min_secret_bytes: totp.min_secret_bytes }, "TOTP secrets shorter than 128 bits are accepted (RFC 4226 asks for at least 128)");
  return {
    settings: totp,
    missing,
    key: totp.encryption_key === undefined ? null : decodeKey(totp.encryption_key),
    secrets: primary === null ? null : primaryTotpSecrets(primary),
    store: primary === null ? null : primaryTotpStore(primary),
    enrollments: primary === null ? null : primaryTotpEnrollments(primary),
    signer,
    assertionTtlSeconds: assertion.ttl_seconds,
    clock,
  };
}
