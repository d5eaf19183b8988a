// Signature verification for token.validate, with jose: keys from a JWKS file,
// an algorithm allow-list (never `none`). Only the signature and the shape
// (including that exp, nbf and iat are sane NumericDates) are checked here;
// expiry, issue time, not-before, the tenant's TTL limit and MFA are rules of
// capgate/token/validate, which receives the verified claims. A token that
// fails here reaches the policy as {verified: false, error}, never as claims.
//
// Verified tokens are remembered (an application presents one access token
// for every call it makes during the token's life, and an ES256 check costs
// more than the rest of a decision). This is safe because what is remembered
// is only that the signature check passed, and that depends on nothing but
// the token's exact text and the key set: the cache is keyed on the SHA-256
// digest of the whole token (a token differing in one byte is another key and
// is checked in full; a collision is out of reach), holds only verified
// results (a refusal is checked again every time), and is emptied whenever
// the key set is replaced (setKeys, on a JWKS file reload), a verification
// that raced a replacement being done again with the new keys. Nothing that
// depends on time is remembered: exp, nbf, iat and the clock tolerance are
// judged by the policy on every request from the claims, as are the tenant
// and every other claim rule.
//
// An entry is the digest and the token's decoded header, shared by every
// token with the same header text; the claims are decoded again from the
// presented token, which is the verified one since its digest matches. An
// entry holds about 80 bytes where the token's text and claims as objects
// held about 580 (16,384 entries: 1.3 instead of 9.1 MiB of V8 heap), and a
// remembered token costs about 2 µs more CPU to answer. The header is frozen
// and the claims are new on every call, so no decision can alter what the
// next one reads.
//
// A token not remembered is checked on libuv's thread pool, so the event loop
// answers other requests meanwhile; at most CHECKS_IN_FLIGHT checks wait there,
// and beyond them a token is answered VERIFIER_BUSY without a check.
import { hash, KeyObject, verify as verifySignature } from "node:crypto";
import { readFileSync } from "node:fs";
// jose by subpath: its index loads every JWS/JWE/JWT/JWKS module at start-up.
import type { CryptoKey, JSONWebKeySet } from "jose";
import { decodeProtectedHeader } from "jose/decode/protected_header";
import * as errors from "jose/errors";
import { createLocalJWKSet } from "jose/jwks/local";
import { compactVerify } from "jose/jws/compact/verify";
import { CapgateError } from "../../errors.js";
import { FactCache } from "./fact-cache.js";
import type { TokenFacts } from "./facts.js";

export interface JwtVerifier {
  /** A token remembered as verified is answered at once; any other is checked, off the event loop where it can be. */
  verify(token: string): TokenFacts | Promise<TokenFacts>;
}

/** A verifier whose key set can be replaced while serving (a JWKS file reloaded after a key rotation). */
export interface KeySetVerifier extends JwtVerifier {
  /** Verifies with `jwks` from now on; every token verified with the previous set is forgotten. */
  setKeys(jwks: JSONWebKeySet): void;
  /** Verified tokens remembered now. */
  readonly cached: number;
}

/**
 * Full checks in flight at once, at most: they wait for libuv's thread pool,
 * and one whose request the deadline already answered still runs, so without
 * a bound, callers faster than the pool (many connections presenting tokens
 * never seen) would queue checks without limit. 1,024 checks of about 80 µs
 * are some 40 ms of the pool's work on two cores: within the deadline.
 */
const CHECKS_IN_FLIGHT = 1024;
/** The error of a token not checked because CHECKS_IN_FLIGHT are; the decider answers it closed as `verifier_busy`. */
export const VERIFIER_BUSY = "verifier_busy";

/** Tokens remembered as verified: each is a digest and a reference to a shared header. */
const CACHED_TOKENS = 16_384;
/** A digest's length: SHA-256's 32 bytes as a one-byte string ("binary" is latin1, one character a byte). */
const DIGEST_CHARS = 32;
/** Distinct headers shared between remembered tokens (an issuer uses few kids and algorithms); more are kept apart. */
const SHARED_HEADERS = 64;
/**
 * Whether every character of the text is ASCII (its UTF-8 length is its
 * length): only such a token is remembered, since UTF-8 maps distinct ASCII
 * texts to distinct bytes (a lone surrogate and U+FFFD encode alike) and a
 * compact JWS is ASCII.
 */
const ascii = (text: string): boolean => Buffer.byteLength(text, "utf8") === text.length;

type Header = Record<string, unknown>;

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

export function createJwtVerifier(jwks: JSONWebKeySet, algorithms: readonly string[]): KeySetVerifier {
  const allowed = algorithms.filter((a) => a.toLowerCase() !== "none");
  let keys = createLocalJWKSet(jwks);
  /** Counts key sets: the cache holds the results of one. */
  let keySet = 0;
  const verified = new FactCache<Header>(CACHED_TOKENS, CACHED_TOKENS * DIGEST_CHARS, () => DIGEST_CHARS);
  verified.at(keySet);
  const headers = new Map<string, Header>();
  /** The frozen header shared by tokens whose header text is `text`. */
  const shared = (text: string, header: Header): Header => {
    const known = headers.get(text);
    if (known !== undefined) return known;
    const frozen = deepFreeze(header);
    if (headers.size < SHARED_HEADERS) headers.set(text, frozen);
    return frozen;
  };
  const verifier: KeySetVerifier = {
    get cached() {
      return verified.size;
    },
    setKeys(next) {
      keys = createLocalJWKSet(next);
      keySet += 1;
      verified.at(keySet);
      headers.clear();
    },
    verify(token) {
      const digest = ascii(token) ? hash("sha256", token, "binary") : undefined;
      const header = digest === undefined ? undefined : verified.get(digest);
      if (header !== undefined) {
        const decoded = claimsOf(payloadBytes(token));
        if ("claims" in decoded) return { verified: true, header, claims: decoded.claims };
      }
      return checkAndRemember(token, digest);
    },
  };
  let inFlight = 0;
  /** The full check of a token not remembered, remembering it when verified. */
  const checkAndRemember = async (token: string, digest: string | undefined): Promise<TokenFacts> => {
    if (inFlight >= CHECKS_IN_FLIGHT) return { verified: false, error: VERIFIER_BUSY };
    const checkedWith = keySet;
    inFlight += 1;
    let checked: Awaited<ReturnType<typeof check>>;
    try {
      checked = await check(token, keys, allowed);
    } finally {
      inFlight -= 1;
    }
    const { facts, payload } = checked;
    // Keys replaced while this one was being checked: its result belongs to the old set.
    if (checkedWith !== keySet) return verifier.verify(token);
    if (!facts.verified || facts.header === undefined) return facts;
    const answer = { ...facts, header: shared(token.slice(0, token.indexOf(".")), facts.header) };
    // Remembered only when a hit decodes the very bytes verified (not so for an unencoded payload, RFC 7797).
    if (digest !== undefined && payload !== undefined && payloadBytes(token).equals(payload)) verified.set(digest, answer.header);
    return answer;
  };
  return verifier;
}

/** The bytes of a compact token's payload part, decoded from base64url. */
function payloadBytes(token: string): Buffer {
  const start = token.indexOf(".") + 1;
  return Buffer.from(token.slice(start, token.indexOf(".", start)), "base64url");
}

/** The signature and shape checks of one token against one key set, with the payload verified. */
async function check(token: string, keys: ReturnType<typeof createLocalJWKSet>, allowed: readonly string[]): Promise<{ facts: TokenFacts; payload?: Uint8Array }> {
  let header: Header;
  try {
    header = decodeProtectedHeader(token) as Header;
  } catch {
    return { facts: { verified: false, error: "malformed" } };
  }
  const alg = typeof header["alg"] === "string" ? header["alg"] : "";
  if (!allowed.includes(alg)) return { facts: { verified: false, error: "algorithm_not_allowed", header } };
  let payload: Uint8Array;
  try {
    payload = (await ecdsaVerify(token, header, keys)) ?? (await compactVerify(token, keys, { algorithms: [...allowed] })).payload;
  } catch (e) {
    return { facts: { verified: false, error: classify(e), header } };
  }
  const decoded = claimsOf(payload);
  if ("error" in decoded) return { facts: { verified: false, error: decoded.error, header } };
  return { facts: { verified: true, header, claims: decoded.claims }, payload };
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The claims of a verified payload: a JSON object whose time claims are NumericDates; or why not. */
function claimsOf(payload: Uint8Array): { claims: Record<string, unknown> } | { error: string } {
  let claims: unknown;
  try {
    claims = JSON.parse(UTF8.decode(payload));
  } catch {
    return { error: "claims_not_json" };
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return { error: "claims_not_object" };
  if (badTimeClaim(claims as Record<string, unknown>) !== undefined) return { error: "invalid_time_claim" };
  return { claims: claims as Record<string, unknown> };
}

/** The ECDSA algorithms node:crypto checks directly: hash, and signature length (r and s, each the curve's size). */
const ECDSA: Readonly<Record<string, { hash: string; bytes: number }>> = {
  ES256: { hash: "sha256", bytes: 64 },
  ES384: { hash: "sha384", bytes: 96 },
  ES512: { hash: "sha512", bytes: 132 },
};
/** The only header parameters the direct path takes; any other (crit, b64, jwk, ...) goes through jose whole. */
const PLAIN_HEADER = new Set(["alg", "kid", "typ"]);
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** node:crypto's view of each key jose imported from the set. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/**
 * The payload of an ECDSA-signed token with a plain header, its signature
 * checked by node:crypto (about half the CPU of WebCrypto's, which jose
 * uses; both on the thread pool), or undefined for any other token, which
 * jose checks whole. jose still parses the header and picks and imports the
 * key from the set, by its rules (kid, alg, use, key_ops, curve); what is
 * skipped is only compactVerify's handling of header parameters a plain
 * header lacks.
 */
async function ecdsaVerify(token: string, header: Record<string, unknown>, keys: ReturnType<typeof createLocalJWKSet>): Promise<Uint8Array | undefined> {
  const ecdsa = ECDSA[header["alg"] as string];
  if (ecdsa === undefined || !Object.keys(header).every((k) => PLAIN_HEADER.has(k))) return undefined;
  const [protectedHeader, payload, signature, ...rest] = token.split(".");
  if (rest.length > 0 || payload === undefined || signature === undefined || !BASE64URL.test(payload) || !BASE64URL.test(signature)) throw new errors.JWSInvalid("Invalid Compact JWS");
  const key = await keys(header, { payload, signature, protected: protectedHeader ?? "" });
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  const bytes = Buffer.from(signature, "base64url");
  const signingInput = Buffer.from(token.slice(0, token.length - signature.length - 1));
  if (bytes.length !== ecdsa.bytes || !(await signatureHolds(ecdsa.hash, signingInput, keyObject, bytes))) throw new errors.JWSSignatureVerificationFailed();
  return Buffer.from(payload, "base64url");
}

/**
 * node:crypto's verify given a callback, which runs it on libuv's thread pool:
 * an ES256 check costs about 80 µs of CPU, which on the event loop held up
 * every other request; on the pool the loop goes on answering them.
 */
function signatureHolds(algorithm: string, data: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    verifySignature(algorithm, data, { key, dsaEncoding: "ieee-p1363" }, signature, (e, ok) => (e === null ? resolve(ok) : reject(e)));
  });
}

/** The value (parsed JSON) made read-only at every depth. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
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
