// Snapshot signing keys: loading ES256 (P-256) or EdDSA (Ed25519) keys from
// PEM or JWK files, and generating a new pair (`capgate snapshot keygen`).
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { CapgateError } from "../errors.js";

export type SigningAlg = "ES256" | "EdDSA";

export interface LoadedKey {
  key: KeyObject;
  alg: SigningAlg;
  /** The JWK "kid" when the file had one. */
  kid?: string;
}

function algOf(key: KeyObject, file: string): SigningAlg {
  if (key.asymmetricKeyType === "ed25519") return "EdDSA";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  const what = key.asymmetricKeyType === "ec" ? `ec ${key.asymmetricKeyDetails?.namedCurve}` : String(key.asymmetricKeyType);
  throw new CapgateError("config_error", `${file}: key type ${what} is not supported (use an ES256 P-256 or an EdDSA Ed25519 key)`);
}

function readKeyFile(file: string, want: "private" | "public"): LoadedKey {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CapgateError("config_error", `${file}: cannot read key file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let key: KeyObject;
  let kid: string | undefined;
  try {
    if (text.trimStart().startsWith("{")) {
      const jwk = JSON.parse(text) as Record<string, unknown>;
      if (typeof jwk["kid"] === "string") kid = jwk["kid"];
      const isPrivate = typeof jwk["d"] === "string";
      if (want === "private" && !isPrivate) throw new Error("the JWK has no private part (d)");
      const obj = isPrivate ? createPrivateKey({ key: jwk as never, format: "jwk" }) : createPublicKey({ key: jwk as never, format: "jwk" });
      key = want === "public" && isPrivate ? createPublicKey(obj) : obj;
    } else if (want === "private") {
      key = createPrivateKey(text);
    } else {
      // A private key also verifies: derive its public half.
      key = createPublicKey(text);
    }
  } catch (e) {
    if (e instanceof CapgateError) throw e;
    throw new CapgateError("config_error", `${file}: not a usable ${want} key (PEM or JWK): ${(e as Error).message.split("\n")[0]}`);
  }
  return { key, alg: algOf(key, file), ...(kid !== undefined ? { kid } : {}) };
}

export const loadSigningKey = (file: string): LoadedKey => readKeyFile(file, "private");
export const loadVerifyKey = (file: string): LoadedKey => readKeyFile(file, "public");

/** Writes `<prefix>.key.<ext>` (private, mode 0600) and `<prefix>.pub.<ext>`; returns both paths. */
export async function generateSigningKeys(
  prefix: string,
  opts: { alg: SigningAlg; format: "pem" | "jwk"; kid?: string },
): Promise<{ privateFile: string; publicFile: string }> {
  const { privateKey, publicKey } = await generateKeyPair(opts.alg, { extractable: true, ...(opts.alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const ext = opts.format === "pem" ? "pem" : "jwk";
  const privateFile = `${prefix}.key.${ext}`;
  const publicFile = `${prefix}.pub.${ext}`;
  if (opts.format === "pem") {
    writeFileSync(privateFile, await exportPKCS8(privateKey), { mode: 0o600 });
    writeFileSync(publicFile, await exportSPKI(publicKey));
  } else {
    const extra = { alg: opts.alg, ...(opts.kid !== undefined ? { kid: opts.kid } : {}) };
    writeFileSync(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), ...extra }, null, 2) + "\n", { mode: 0o600 });
    writeFileSync(publicFile, JSON.stringify({ ...(await exportJWK(publicKey)), ...extra }, null, 2) + "\n");
  }
  return { privateFile, publicFile };
}
