// The verified-token cache of token.validate (src/server/decide/jwt.ts). Over
// real HTTP, with real ES256 keys, a real replica and capgate's compiled
// policies: a remembered token is still refused once its exp has passed (the
// time rules run on every request), a token one byte away from a remembered
// one is checked in full and refused, and after a key rotation (the JWKS file
// rewritten, the sidecar reloaded as on SIGHUP) a remembered token signed by
// the removed key is refused. Then the verifier alone: what it remembers,
// what it does not, and the tokens node:crypto's direct path leaves to jose;
// and the bound on checks waiting for the thread pool.
import { KeyObject, randomBytes, sign as cryptoSign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECISIONS } from "../../src/server/decide/index.js";
import { createJwtVerifier } from "../../src/server/decide/jwt.js";
import type { RunningServer } from "../../src/server/server.js";
import { hardeningFixture, type HardeningFixture } from "./hardening-fixture.js";
import { post, startTestServer } from "./helpers.js";

let fx: HardeningFixture;
let server: RunningServer;
let jwksFile: string;
const keys: Record<"k1" | "k2", { priv: CryptoKey; pub: JWK }> = {} as never;
/** The sidecar's clock (epoch ms); moved forward by a test to pass a token's exp. */
let nowMs = Date.now();
const nowS = (): number => Math.floor(nowMs / 1000);

const sign = (kid: "k1" | "k2", claims: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT({ tenant_id: "globex", amr: ["pwd"], iat: nowS() - 10, exp: nowS() + 600, ...claims })
    .setProtectedHeader({ alg: "ES256", kid })
    .sign(keys[kid].priv);
const validate = async (token: string) => (await post(server.url, "/decide", { decision: "token.validate", input: { tenant_id: "globex", token } })).json;
const writeJwks = (kids: Array<"k1" | "k2">): void => writeFileSync(jwksFile, JSON.stringify({ keys: kids.map((k) => keys[k].pub) }));

/** The token with the character at `at` (of its part `part`) replaced by another base64url character. */
function oneByteChanged(token: string, part: 1 | 2): string {
  const parts = token.split(".");
  const text = parts[part]!;
  const at = Math.floor(text.length / 2);
  parts[part] = text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
  return parts.join(".");
}

beforeAll(async () => {
  fx = await hardeningFixture("jwt_cache");
  for (const kid of ["k1", "k2"] as const) {
    const kp = await generateKeyPair("ES256", { extractable: true });
    keys[kid] = { priv: kp.privateKey, pub: { ...(await exportJWK(kp.publicKey)), kid, alg: "ES256", use: "sig" } };
  }
  jwksFile = join(fx.dir, "jwks.json");
  writeJwks(["k1", "k2"]);
  server = await startTestServer(
    fx.dir,
    { replica: fx.replica, bundle: fx.bundle, max_staleness_seconds: 86_400, jwt: { jwks_file: jwksFile, algorithms: ["ES256"], clock_tolerance_seconds: 30 } },
    { clock: () => nowMs },
  );
}, 300_000);

afterAll(async () => {
  await server?.close();
  await fx?.remove();
});

describe("token.validate with remembered signatures, over HTTP", () => {
  it("refuses a remembered token once its exp has passed", async () => {
    const token = await sign("k1");
    expect(await validate(token)).toMatchObject({ allow: true, reasons: [] });
    expect(await validate(token)).toMatchObject({ allow: true, reasons: [] });
    nowMs += 700_000;
    expect(await validate(token)).toMatchObject({ allow: false, reasons: ["expired"] });
  });

  it("refuses a token one byte away from a remembered one, in its payload or its signature", async () => {
    const token = await sign("k1");
    expect(await validate(token)).toMatchObject({ allow: true });
    for (const forged of [oneByteChanged(token, 1), oneByteChanged(token, 2)]) {
      expect(forged).not.toBe(token);
      expect(await validate(forged)).toMatchObject({ allow: false, reasons: ["invalid_token"] });
    }
    expect(await validate(token)).toMatchObject({ allow: true });
  });

  it("refuses a remembered token signed by a key a JWKS rotation removed", async () => {
    const old = await sign("k1");
    const kept = await sign("k2");
    expect(await validate(old)).toMatchObject({ allow: true });
    expect(await validate(kept)).toMatchObject({ allow: true });
    writeJwks(["k2"]);
    await server.reload();
    expect(await validate(old)).toMatchObject({ allow: false, reasons: ["invalid_token"] });
    expect(await validate(kept)).toMatchObject({ allow: true, reasons: [] });
    expect(await validate(await sign("k2"))).toMatchObject({ allow: true });
  });

  it("keeps the current keys when the rewritten JWKS file is bad", async () => {
    const token = await sign("k2");
    writeFileSync(jwksFile, "{ not json");
    await server.reload();
    expect(await validate(token)).toMatchObject({ allow: true });
    writeJwks(["k2"]);
    await server.reload();
  });
});

describe("the verifier's memory", () => {
  const jwks = () => ({ keys: [keys.k1.pub, keys.k2.pub] });

  it("answers a token verified before with the same facts, none of them alterable by a caller, and forgets nothing it refused", async () => {
    const v = createJwtVerifier(jwks(), ["ES256"]);
    const token = await sign("k1");
    const first = await v.verify(token);
    expect(first).toMatchObject({ verified: true, claims: { tenant_id: "globex" } });
    // Remembered, it is answered at once rather than by a promise (no deadline timer, no turn of the loop).
    const answered = v.verify(token);
    expect(answered).not.toBeInstanceOf(Promise);
    const again = await answered;
    expect(again).toEqual(first);
    expect(v.cached).toBe(1);
    // The header is shared and frozen; the claims are the caller's own, so changing them changes no later answer.
    expect(again.header).toBe(first.header);
    expect(Object.isFrozen(first.header)).toBe(true);
    (again.claims!["amr"] as string[]).push("forged");
    again.claims!["tenant_id"] = "initech";
    expect(await v.verify(token)).toEqual(first);
    expect(await v.verify(oneByteChanged(token, 2))).toMatchObject({ verified: false, error: "bad_signature" });
    expect(v.cached).toBe(1);
  });

  it("does not remember a token whose payload is not base64url (RFC 7797's b64: false), whose claims it could not read again", async () => {
    const v = createJwtVerifier(jwks(), ["ES256"]);
    const claims = { tenant_id: "globex", iat: nowS(), exp: nowS() + 600 };
    const token = signedByHand({ alg: "ES256", kid: "k1", b64: false, crit: ["b64"] }, claims, false);
    for (let i = 0; i < 2; i++) expect(await v.verify(token)).toMatchObject({ verified: true, claims });
    expect(v.cached).toBe(0);
  });

  it("checks again, with the new keys, a token whose check a key replacement overtook", async () => {
    const v = createJwtVerifier(jwks(), ["ES256"]);
    const token = await sign("k1");
    const pending = v.verify(token);
    v.setKeys({ keys: [keys.k2.pub] });
    expect(await pending).toMatchObject({ verified: false, error: "no_matching_key" });
    expect(v.cached).toBe(0);
  });

  it("leaves tokens outside node:crypto's direct path to jose, and refuses a signature of the wrong length", async () => {
    const v = createJwtVerifier(jwks(), ["ES256"]);
    // A critical header parameter jose does not know, under a good signature: refused by jose.
    const crit = signedByHand({ alg: "ES256", kid: "k1", crit: ["x-capgate"], "x-capgate": 1 }, { tenant_id: "globex", iat: nowS(), exp: nowS() + 600 });
    expect(await v.verify(crit)).toMatchObject({ verified: false, error: "unverifiable" });
    // The same claims with a plain header verify, so it is the header that was refused.
    expect(await v.verify(signedByHand({ alg: "ES256", kid: "k1" }, { tenant_id: "globex", iat: nowS(), exp: nowS() + 600 }))).toMatchObject({ verified: true });
    // A signature cut short, and a fourth part: refused before any key is asked.
    const token = await sign("k1");
    const [h, p, s] = token.split(".");
    expect(await v.verify(`${h}.${p}.${s!.slice(0, -4)}`)).toMatchObject({ verified: false, error: "bad_signature" });
    expect(await v.verify(`${h}.${p}.${s}.`)).toMatchObject({ verified: false });
    expect(v.cached).toBe(1);
  });
});

describe("signature checks waiting for the thread pool", () => {
  it("answers verifier_busy, without checking, beyond 1,024 checks in flight, and checks again once they are done", async () => {
    const spec = DECISIONS.find((d) => d.name === "token.validate")!;
    const [h, p] = (await sign("k2")).split(".");
    // 1,100 tokens never seen, each with a signature of the right length that does not hold, asked together.
    const forged = Array.from({ length: 1100 }, () => `${h}.${p}.${randomBytes(64).toString("base64url")}`);
    const answers = await Promise.all(forged.map((token) => server.decider.decide({ spec, input: { tenant_id: "globex", token } })));
    const reasons = answers.map((a) => a.reasons.join(","));
    expect(reasons.filter((r) => r === "invalid_token")).toHaveLength(1024);
    expect(reasons.filter((r) => r === "verifier_busy")).toHaveLength(76);
    expect(answers.every((a) => a.allow === false)).toBe(true);
    // The checks done, a token is checked again (k2: an earlier test's rotation removed k1).
    expect(await validate(await sign("k2"))).toMatchObject({ allow: true, reasons: [] });
  });
});

/** A compact JWS signed with k1 by node:crypto, for headers jose will not sign; `encoded: false` leaves the payload as it is (RFC 7797). */
function signedByHand(header: Record<string, unknown>, claims: Record<string, unknown>, encoded = true): string {
  const payload = encoded ? Buffer.from(JSON.stringify(claims)).toString("base64url") : JSON.stringify(claims);
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${payload}`;
  const signature = cryptoSign("sha256", Buffer.from(input), { key: KeyObject.from(keys.k1.priv), dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}
