// Key files for bundle signing, read as `opa build --signing-key` and
// `opa run --verification-key` read theirs: a PEM file (private key to sign;
// public key, certificate or private key to verify) for RS*, PS*, ES* and
// EdDSA, or, for HS*, a file whose exact bytes are the shared secret. The
// algorithms a verification key accepts follow from its type, so a token
// cannot pick an algorithm the key was not made for (no HS256 over an RSA key).
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { CapgateError } from "../../errors.js";

export const SIGNING_ALGORITHMS = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
  "ES256", "ES384", "ES512", "EdDSA",
  "HS256", "HS384", "HS512",
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A key jose signs or verifies with: a Node KeyObject, or the bytes of an HMAC secret. */
export type JoseKey = KeyObject | Uint8Array;

const EC_ALGORITHM: Readonly<Record<string, SigningAlgorithm>> = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" };
const HMAC: readonly SigningAlgorithm[] = ["HS256", "HS384", "HS512"];

function readKeyFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CapgateError("config_error", `${what} ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

const isPem = (bytes: Buffer): boolean => bytes.includes("-----BEGIN ");

/** The algorithms an asymmetric key can verify or make. */
function algorithmsFor(key: KeyObject): readonly SigningAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      return ["PS256", "PS384", "PS512"];
    case "ec": {
      const alg = EC_ALGORITHM[key.asymmetricKeyDetails?.namedCurve ?? ""];
      return alg === undefined ? [] : [alg];
    }
    case "ed25519":
      return ["EdDSA"];
    default:
      return [];
  }
}

export function parseSigningAlgorithm(alg: string, what: string): SigningAlgorithm {
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg))
    throw new CapgateError("config_error", `${what}: ${JSON.stringify(alg)} is not one of ${SIGNING_ALGORITHMS.join(", ")}`);
  return alg as SigningAlgorithm;
}

/** The private key (or HMAC secret) in `file` for `alg`; one config_error line when they do not fit. */
export function readSigningKey(file: string, alg: SigningAlgorithm): JoseKey {
  const bytes = readKeyFile(file, "signing key");
  if (HMAC.includes(alg)) {
    if (isPem(bytes)) throw new CapgateError("config_error", `signing key ${file}: a PEM key cannot be an ${alg} secret; pass --signing-alg for its key type`);
    if (bytes.length === 0) throw new CapgateError("config_error", `signing key ${file}: the HMAC secret is empty`);
    return new Uint8Array(bytes);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(bytes);
  } catch (e) {
    throw new CapgateError("config_error", `signing key ${file}: not a PEM private key (${(e as Error).message.split("\n")[0]})`);
  }
  if (!algorithmsFor(key).includes(alg))
    throw new CapgateError("config_error", `signing key ${file}: an ${describe(key)} key cannot sign ${alg}`);
  return key;
}

export interface VerificationKey {
  key: JoseKey;
  algorithms: readonly SigningAlgorithm[];
  /** "RSA public key", "HMAC secret", ... for messages. */
  kind: string;
}

/** The public key (or HMAC secret) in `file`, and the algorithms it may verify. */
export function readVerificationKey(file: string): VerificationKey {
  const bytes = readKeyFile(file, "verification key");
  if (!isPem(bytes)) {
    if (bytes.length === 0) throw new CapgateError("config_error", `verification key ${file}: the HMAC secret is empty`);
    return { key: new Uint8Array(bytes), algorithms: HMAC, kind: "HMAC secret" };
  }
  let key: KeyObject;
  try {
    key = bytes.includes("-----BEGIN CERTIFICATE-----") ? new X509Certificate(bytes).publicKey : createPublicKey(bytes);
  } catch (e) {
    throw new CapgateError("config_error", `verification key ${file}: not a PEM public key or certificate (${(e as Error).message.split("\n")[0]})`);
  }
  const algorithms = algorithmsFor(key);
  if (algorithms.length === 0) throw new CapgateError("config_error", `verification key ${file}: an ${describe(key)} key cannot verify bundle signatures`);
  return { key, algorithms, kind: `${describe(key)} public key` };
}

function describe(key: KeyObject): string {
  const t = key.asymmetricKeyType ?? "unknown";
  if (t === "ec") return `EC ${key.asymmetricKeyDetails?.namedCurve ?? ""}`.trim();
  return t === "rsa" || t === "rsa-pss" ? t.toUpperCase() : t === "ed25519" ? "Ed25519" : t;
}
