// The signature layer of token.validate with real keys: good, expired, tampered,
// `none`, unlisted algorithm, unknown key. Expiry is the policy's rule, so an
// expired but well-signed token is verified and its claims passed on as they are.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CompactSign, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapgateError } from "../../src/errors.js";
import { createJwtVerifier, readJwks, type JwtVerifier } from "../../src/server/decide/jwt.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir("capgate-jwt-");
let es: CryptoKey;
let rs: CryptoKey;
let other: CryptoKey;
let verifier: JwtVerifier;
const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  const a = await generateKeyPair("ES256", { extractable: true });
  const b = await generateKeyPair("RS384", { extractable: true });
  const c = await generateKeyPair("ES256", { extractable: true });
  es = a.privateKey;
  rs = b.privateKey;
  other = c.privateKey;
  const jwks = {
    keys: [
      { ...(await exportJWK(a.publicKey)), kid: "es-1", alg: "ES256", use: "sig" },
      { ...(await exportJWK(b.publicKey)), kid: "rs-1", alg: "RS384", use: "sig" },
    ],
  };
  const file = join(tmp.dir, "jwks.json");
  writeFileSync(file, JSON.stringify(jwks));
  // RS384 has a key in the set but is not on the allow-list.
  verifier = createJwtVerifier(readJwks(file), ["ES256", "EdDSA"]);
});
afterAll(() => tmp.remove());

const sign = (key: CryptoKey, alg: string, kid: string, claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg, kid }).sign(key);

describe("JWT verification layer", () => {
  it("verifies a good token and passes its claims", async () => {
    const t = await sign(es, "ES256", "es-1", { sub: "u-bob", tenant_id: "acme", iat: now, exp: now + 600, amr: ["pwd"] });
    const r = await verifier.verify(t);
    expect(r.verified).toBe(true);
    expect(r.claims).toMatchObject({ sub: "u-bob", tenant_id: "acme", exp: now + 600, amr: ["pwd"] });
    expect(r.header).toMatchObject({ alg: "ES256", kid: "es-1" });
  });

  it("leaves expiry to the policy: an expired token is verified with its exp in the past", async () => {
    const t = await sign(es, "ES256", "es-1", { sub: "u-bob", tenant_id: "acme", iat: now - 7200, exp: now - 3600 });
    const r = await verifier.verify(t);
    expect(r.verified).toBe(true);
    expect(r.claims?.["exp"]).toBe(now - 3600);
  });

  it("refuses a tampered payload", async () => {
    const t = await sign(es, "ES256", "es-1", { sub: "u-bob", tenant_id: "acme", iat: now, exp: now + 600 });
    const [h, , s] = t.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "u-bob", tenant_id: "acme", iat: now, exp: now + 999999 })).toString("base64url");
    const r = await verifier.verify(`${h}.${forged}.${s}`);
    expect(r).toMatchObject({ verified: false, error: "bad_signature" });
    expect(r.claims).toBeUndefined();
  });

  it("refuses a token signed by a key outside the set", async () => {
    const t = await sign(other, "ES256", "es-1", { sub: "u-bob", iat: now, exp: now + 600 });
    expect(await verifier.verify(t)).toMatchObject({ verified: false, error: "bad_signature" });
    const t2 = await sign(other, "ES256", "nope", { sub: "u-bob", iat: now, exp: now + 600 });
    expect(await verifier.verify(t2)).toMatchObject({ verified: false, error: "no_matching_key" });
  });

  it("refuses alg none", async () => {
    const t = new UnsecuredJWT({ sub: "u-bob", tenant_id: "acme", iat: now, exp: now + 600 }).encode();
    const r = await verifier.verify(t);
    expect(r).toMatchObject({ verified: false, error: "algorithm_not_allowed" });
    expect(r.claims).toBeUndefined();
  });

  it("refuses an algorithm not on the allow-list even with a matching key", async () => {
    const t = await sign(rs, "RS384", "rs-1", { sub: "u-bob", iat: now, exp: now + 600 });
    expect(await verifier.verify(t)).toMatchObject({ verified: false, error: "algorithm_not_allowed" });
  });

  it("refuses garbage and a payload that is not a JSON object", async () => {
    expect(await verifier.verify("abc.def.ghi")).toMatchObject({ verified: false, error: "malformed" });
    const t = await new CompactSign(new TextEncoder().encode("[1,2]")).setProtectedHeader({ alg: "ES256", kid: "es-1" }).sign(es);
    expect(await verifier.verify(t)).toMatchObject({ verified: false, error: "claims_not_object" });
  });

  it("refuses a JWKS file with a private key or no keys", async () => {
    const priv = join(tmp.dir, "priv.json");
    writeFileSync(priv, JSON.stringify({ keys: [{ ...(await exportJWK(es)), kid: "x" }] }));
    expect(() => readJwks(priv)).toThrow(CapgateError);
    expect(() => readJwks(priv)).toThrow(/private key/);
    const empty = join(tmp.dir, "empty.json");
    writeFileSync(empty, '{"keys": []}');
    expect(() => readJwks(empty)).toThrow(/non-empty "keys"/);
  });
});
