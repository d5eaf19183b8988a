// Key material an operator makes once for the sidecar: the key that encrypts
// stored TOTP secrets (totp.encryption_key) and the key pair that signs TOTP
// assertions (assertion.signing_key_file, with the public JWKS the application
// verifies assertions with). Used by `capgate keys` and by the quickstart.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { CapgateError } from "../errors.js";

/** Algorithms an assertion key can be made for (asymmetric: the application holds only the public half). */
export const ASSERTION_ALGS = ["ES256", "ES384", "EdDSA", "RS256", "PS256"] as const;
export type AssertionAlg = (typeof ASSERTION_ALGS)[number];

/** base64url of 32 random bytes: an A256GCM key for totp.encryption_key. */
export function newTotpEncryptionKey(): string {
  return randomBytes(32).toString("base64url");
}

/** A new signing key as a private JWK (with alg and kid) and the JWKS of its public half. */
export async function newAssertionKey(alg: AssertionAlg, kid?: string): Promise<{ privateJwk: JWK; jwks: { keys: JWK[] } }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const pub = await exportJWK(publicKey);
  // Without a given kid, the key's own thumbprint (RFC 7638): unique, and the same wherever it is computed.
  const id = kid ?? (await calculateJwkThumbprint(pub)).slice(0, 16);
  const extra = { alg, kid: id, use: "sig" };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...extra }, jwks: { keys: [{ ...pub, ...extra }] } };
}

/** Refuses to replace an existing key file (a lost key makes what it protected unreadable) unless `force`. */
export function refuseExisting(file: string, force: boolean): void {
  if (existsSync(file) && !force) throw new CapgateError("invalid_input", `${file} exists; refusing to replace a key (pass --force to overwrite it)`);
}

/** Writes a key file (mode 0600 when secret), creating its directory; see refuseExisting. */
export function writeKeyFile(file: string, text: string, opts: { secret: boolean; force?: boolean }): void {
  refuseExisting(file, opts.force === true);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, opts.secret ? { mode: 0o600 } : {});
}
