// Signature verification for token.validate, with jose: keys from a JWKS file,
// an algorithm allow-list (never `none`). Only the signature and the shape
// (including that exp, nbf and iat are sane NumericDates) are checked here;
// expiry, issue time, not-before, the tenant's TTL limit and MFA are rules of
// capgate/token/validate, which receives the verified claims. A token that
// fails here reaches the policy as {verified: false, error}, never as claims.
import { readFileSync } from "node:fs";
// jose by subpath: its index loads every JWS/JWE/JWT/JWKS module at start-up.
import type { JSONWebKeySet } from "jose";
import { decodeProtectedHeader } from "jose/decode/protected_header";
import * as errors from "jose/errors";
import { createLocalJWKSet } from "jose/jwks/local";
import { compactVerify } from "jose/jws/compact/verify";
import { CapgateError } from "../../errors.js";
import type { TokenFacts } from "./facts.js";

export interface JwtVerifier {
  verify(token: string): Promise<TokenFacts>;
}

/** Reads and checks a JWKS file; a bad file is a config_error at start-up. */
export function readJwks(file: string): JSONWebKeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CapgateError("config_error", `jwt.jwks_file: ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new CapgateError("config_error", `jwt.jwks_file: ${file}: must be a JWKS with a non-empty "keys" array`);
  for (const [i, k] of keys.entries()) {
    if (typeof k !== "object" || k === null || typeof (k as { kty?: unknown }).kty !== "string")
      throw new CapgateError("config_error", `jwt.jwks_file: ${file}: keys[${i}] has no "kty"`);
    if ("d" in k) throw new CapgateError("config_error", `jwt.jwks_file: ${file}: keys[${i}] is a private key; give public keys only`);
  }
  return doc as JSONWebKeySet;
}

export function createJwtVerifier(jwks: JSONWebKeySet, algorithms: readonly string[]): JwtVerifier {
  const allowed = algorithms.filter((a) => a.toLowerCase() !== "none");
  const keys = createLocalJWKSet(jwks);
  return {
    async verify(token: string): Promise<TokenFacts> {
      let header: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(token) as Record<string, unknown>;
      } catch {
        return { verified: false, error: "malformed" };
      }
      const alg = typeof header["alg"] === "string" ? header["alg"] : "";
      if (!allowed.includes(alg)) return { verified: false, error: "algorithm_not_allowed", header };
      let payload: Uint8Array;
      try {
        ({ payload } = await compactVerify(token, keys, { algorithms: allowed }));
      } catch (e) {
        return { verified: false, error: classify(e), header };
      }
      let claims: unknown;
      try {
        claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
      } catch {
        return { verified: false, error: "claims_not_json", header };
      }
      if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return { verified: false, error: "claims_not_object", header };
      if (badTimeClaim(claims as Record<string, unknown>) !== undefined) return { verified: false, error: "invalid_time_claim", header };
      return { verified: true, header, claims: claims as Record<string, unknown> };
    },
  };
}

/** A verifier that refuses every token, for a sidecar without a JWKS file. */
export const noKeysVerifier: JwtVerifier = {
  verify: () => Promise.resolve({ verified: false, error: "no_keys_configured" }),
};

/** RFC 7519's time claims (§4.1.4-6). */
const TIME_CLAIMS = ["exp", "nbf", "iat"] as const;
/** 9999-12-31T23:59:59Z: no sound issuer dates a token later, and 1e308 would defeat every lifetime rule. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/**
 * The first time claim that is present but not a NumericDate a real issuer
 * writes (a finite number from 1970 to 9999). Whether the dates are acceptable
 * now (expired, issued ahead) is the policy's rule; this is only their shape.
 */
function badTimeClaim(claims: Record<string, unknown>): string | undefined {
  for (const name of TIME_CLAIMS) {
    if (!Object.hasOwn(claims, name)) continue;
    const v = claims[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_NUMERIC_DATE) return name;
  }
  return undefined;
}

function classify(e: unknown): string {
  if (e instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (e instanceof errors.JWKSNoMatchingKey) return "no_matching_key";
  if (e instanceof errors.JWKSMultipleMatchingKeys) return "ambiguous_key";
  if (e instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (e instanceof errors.JWSInvalid) return "malformed";
  return "unverifiable";
}
