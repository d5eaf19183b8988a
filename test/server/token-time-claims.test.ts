// token.validate and the time claims of a well-signed token (issue 14, defect
// 5): a token issued ten years ahead, dates of 1e308, and string, null or
// negative dates are refused as invalid_token, never allowed and never an
// evaluation_error; the JWT layer refuses a date that is no NumericDate at all.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwtVerifier, readJwks } from "../../src/server/decide/jwt.js";
import type { RunningServer } from "../../src/server/server.js";
import { hardeningFixture, type HardeningFixture } from "./hardening-fixture.js";
import { post, startTestServer } from "./helpers.js";

let fx: HardeningFixture;
let server: RunningServer;
let key: CryptoKey;
let jwks: string;
const now = (): number => Math.floor(Date.now() / 1000);
const TEN_YEARS = 10 * 365 * 86400;

const jwt = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(key);
const validate = async (claims: Record<string, unknown>) =>
  (await post(server.url, "/decide", { decision: "token.validate", input: { tenant_id: "globex", token: await jwt({ tenant_id: "globex", amr: ["pwd"], ...claims }) } })).json;

beforeAll(async () => {
  fx = await hardeningFixture("time_claims");
  const kp = await generateKeyPair("ES256", { extractable: true });
  key = kp.privateKey;
  jwks = join(fx.dir, "jwks.json");
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(kp.publicKey)), kid: "k1", alg: "ES256" }] }));
  server = await startTestServer(fx.dir, { replica: fx.replica, bundle: fx.bundle, jwt: { jwks_file: jwks, algorithms: ["ES256"], clock_tolerance_seconds: 30 } });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await fx?.remove();
});

describe("token.validate refuses impossible time claims", () => {
  it("still allows a fresh token, and one issued ahead within the clock tolerance", async () => {
    expect(await validate({ iat: now() - 10, exp: now() + 600 })).toMatchObject({ allow: true, reasons: [] });
    expect(await validate({ iat: now() + 20, exp: now() + 600 })).toMatchObject({ allow: true, reasons: [] });
  });

  const refused: [string, () => Record<string, unknown>][] = [
    ["iat ten years ahead, exp = iat + 600", () => ({ iat: now() + TEN_YEARS, exp: now() + TEN_YEARS + 600 })],
    ["iat beyond the clock tolerance", () => ({ iat: now() + 120, exp: now() + 600 })],
    ["iat = exp = 1e308", () => ({ iat: 1e308, exp: 1e308 })],
    ["a string exp", () => ({ iat: now() - 10, exp: String(now() + 600) })],
    ["a string iat", () => ({ iat: "yesterday", exp: now() + 600 })],
    ["a null nbf", () => ({ iat: now() - 10, exp: now() + 600, nbf: null })],
    ["a negative iat", () => ({ iat: -1, exp: now() + 600 })],
    ["an exp past the year 9999", () => ({ iat: now() - 10, exp: 253402300800 })],
  ];
  it.each(refused)("refuses %s with invalid_token", async (_what, claims) => {
    expect(await validate(claims())).toMatchObject({ allow: false, reasons: ["invalid_token"] });
  });

  it("refuses a date that is no NumericDate already in the JWT layer, naming why", async () => {
    const verifier = createJwtVerifier(readJwks(jwks), ["ES256"]);
    for (const claims of [{ exp: "soon" }, { iat: 1e308 }, { nbf: null }, { exp: -1 }])
      expect(await verifier.verify(await jwt(claims))).toMatchObject({ verified: false, error: "invalid_time_claim" });
    expect(await verifier.verify(await jwt({ iat: now() + TEN_YEARS, exp: now() + TEN_YEARS + 600 }))).toMatchObject({ verified: true });
  });
});
