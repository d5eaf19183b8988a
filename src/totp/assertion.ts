// The short-lived assertion a successful TOTP verification returns: a JWT signed
// with jose by the configured private key, saying that this user passed an OTP
// (`amr: ["otp"]`) at this time. The application presents it to its token issuer.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
// jose by subpath: its index loads every JWS/JWE/JWT/JWKS module at start-up.
import type { CryptoKey, JWK } from "jose";
import { SignJWT } from "jose/jwt/sign";
import { importJWK } from "jose/key/import";
import { CapgateError } from "../errors.js";

export interface AssertionSigner {
  sign(claims: { sub: string; tenant_id: string }, nowMs: number): Promise<string>;
  readonly alg: string;
}

/** Reads a private JWK (with `alg`) from a file; a bad file is a config_error. */
export async function loadAssertionSigner(file: string, issuer: string, ttlSeconds: number): Promise<AssertionSigner> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, "utf8")) as JWK;
  } catch (e) {
    throw new CapgateError("config_error", `assertion.signing_key_file: ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const alg = jwk.alg;
  if (typeof alg !== "string" || alg.toLowerCase() === "none" || alg.startsWith("HS"))
    throw new CapgateError("config_error", `assertion.signing_key_file: ${file}: the key needs an asymmetric "alg" (ES256, EdDSA, RS256, ...)`);
  if (jwk.d === undefined) throw new CapgateError("config_error", `assertion.signing_key_file: ${file}: not a private key (no "d")`);
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk, alg);
  } catch (e) {
    throw new CapgateError("config_error", `assertion.signing_key_file: ${file}: ${(e as Error).message}`);
  }
  return {
    alg,
    sign(claims, nowMs) {
      const iat = Math.floor(nowMs / 1000);
      const header = jwk.kid === undefined ? { alg, typ: "JWT" } : { alg, typ: "JWT", kid: jwk.kid };
      return new SignJWT({ tenant_id: claims.tenant_id, amr: ["otp"] })
        .setProtectedHeader(header)
        .setIssuer(issuer)
        .setSubject(claims.sub)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(randomUUID())
        .sign(key);
    },
  };
}
