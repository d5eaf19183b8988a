// The Quickstart's development keys under the state directory: the key that
// encrypts stored TOTP secrets and the private JWK that signs TOTP assertions.
// Made once and reused, so a second run keeps decrypting what the first stored;
// a damaged file is replaced (these are throwaway dev keys, never production ones).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importJWK, type JWK } from "jose";
import { newAssertionKey, newTotpEncryptionKey } from "../keys/index.js";

export interface DevKeys {
  /** base64url of 32 bytes: the sidecar's totp.encryption_key. */
  totpKey: string;
  totpKeyFile: string;
  /** Private ES256 JWK file: the sidecar's assertion.signing_key_file. */
  assertionKeyFile: string;
  /** Which keys this run generated (empty on a reuse). */
  created: string[];
}

function readTotpKey(file: string): string | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, "utf8").trim();
  return /^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, "base64url").length === 32 ? text : null;
}

async function assertionKeyUsable(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  try {
    const jwk = JSON.parse(readFileSync(file, "utf8")) as JWK;
    if (jwk.alg !== "ES256" || jwk.d === undefined) return false;
    await importJWK(jwk, "ES256");
    return true;
  } catch {
    return false;
  }
}

export async function ensureDevKeys(stateDir: string): Promise<DevKeys> {
  const created: string[] = [];
  const totpKeyFile = join(stateDir, "totp-encryption.key");
  let totpKey = readTotpKey(totpKeyFile);
  if (totpKey === null) {
    totpKey = newTotpEncryptionKey();
    writeFileSync(totpKeyFile, totpKey + "\n", { mode: 0o600 });
    created.push(totpKeyFile);
  }
  const assertionKeyFile = join(stateDir, "assertion-signing.jwk.json");
  if (!(await assertionKeyUsable(assertionKeyFile))) {
    const { privateJwk } = await newAssertionKey("ES256", "capgate-quickstart");
    writeFileSync(assertionKeyFile, JSON.stringify(privateJwk, null, 2) + "\n", { mode: 0o600 });
    created.push(assertionKeyFile);
  }
  return { totpKey, totpKeyFile, assertionKeyFile, created };
}
