// io.jwt.* built-ins. Decoding uses jose; signature checks use node:crypto's
// synchronous verify because the SDK calls host built-ins synchronously and
// jose's verification is asynchronous (WebCrypto). Keys: PEM certificates or
// public keys, a JWK, or a JWK set ({"keys": [...]}), as OPA accepts.
import { createHmac, createPublicKey, timingSafeEqual, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { builtinError, obj, str, type HostBuiltin, type HostContext } from "./types.js";

function split(name: string, token: string): [string, string, string] {
  const parts = token.split(".");
  if (parts.length !== 3) throw builtinError(name, "token must have three dot-separated parts (JWS compact form)");
  return parts as [string, string, string];
}

function decode(name: string, token: string): [Record<string, unknown>, Record<string, unknown>, string] {
  const [, , sig] = split(name, token);
  try {
    const header = decodeProtectedHeader(token) as Record<string, unknown>;
    const payload = decodeJwt(token) as Record<string, unknown>;
    return [header, payload, Buffer.from(sig, "base64url").toString("hex")];
  } catch (e) {
    throw builtinError(name, `malformed token: ${(e as Error).message}`);
  }
}

function publicKeys(name: string, material: string): KeyObject[] {
  const text = material.trim();
  try {
    if (text.startsWith("{")) {
      const jwk = JSON.parse(text) as { keys?: unknown[] };
      const list = Array.isArray(jwk.keys) ? jwk.keys : [jwk];
      return list.map((k) => createPublicKey({ key: k as import("node:crypto").JsonWebKey, format: "jwk" }));
    }
    return [createPublicKey(text)];
  } catch (e) {
    throw builtinError(name, `invalid key or certificate: ${(e as Error).message.split("\n")[0]}`);
  }
}

const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

function signatureValid(name: string, alg: string, token: string, keyMaterial: string): boolean {
  const [h, p, s] = split(name, token);
  const signed = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, "base64url");
  const bits = alg.slice(2);
  const hash = HASH[bits];
  if (!hash) throw builtinError(name, `unsupported algorithm ${alg}`);
  if (alg.startsWith("HS")) {
    const mac = createHmac(hash, keyMaterial).update(signed).digest();
    return mac.length === sig.length && timingSafeEqual(mac, sig);
  }
  const keys = publicKeys(name, keyMaterial);
  return keys.some((key) => {
    try {
      if (alg.startsWith("RS")) return cryptoVerify(hash, signed, key, sig);
      if (alg.startsWith("PS")) return cryptoVerify(hash, signed, { key, padding: 6, saltLength: Number(bits) / 8 }, sig);
      if (alg.startsWith("ES")) return cryptoVerify(hash, signed, { key, dsaEncoding: "ieee-p1363" }, sig);
    } catch {
      return false;
    }
    return false;
  });
}

const verifier = (alg: string): HostBuiltin => {
  const name = `io.jwt.verify_${alg.toLowerCase()}`;
  return { name, arity: 2, impl: (a) => signatureValid(name, alg, str(name, a, 0), str(name, a, 1)) };
};

/** io.jwt.decode_verify: [valid, header, payload]; invalid tokens answer [false, {}, {}] as OPA. */
function decodeVerify(args: unknown[], ctx: HostContext): unknown {
  const n = "io.jwt.decode_verify";
  const token = str(n, args, 0);
  const c = obj(n, args, 1);
  for (const k of Object.keys(c)) {
    if (!["cert", "secret", "alg", "iss", "aud", "time"].includes(k)) throw builtinError(n, `unknown constraint ${JSON.stringify(k)}`);
  }
  const key = c["cert"] ?? c["secret"];
  if (typeof key !== "string") throw builtinError(n, "constraints must hold a string cert or secret");
  const invalid = [false, {}, {}];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    [header, payload] = decode(n, token);
  } catch {
    return invalid;
  }
  const alg = header["alg"];
  if (typeof alg !== "string" || !/^(HS|RS|PS|ES)(256|384|512)$/.test(alg)) return invalid;
  if (c["alg"] !== undefined && c["alg"] !== alg) return invalid;
  if (alg.startsWith("HS") !== (c["secret"] !== undefined)) return invalid;
  if (!signatureValid(n, alg, token, key)) return invalid;
  const nowSec = Number(c["time"] !== undefined ? Number(c["time"]) / 1e9 : Number(ctx.nowNs ?? BigInt(Date.now()) * 1_000_000n) / 1e9);
  if (typeof payload["exp"] === "number" && nowSec >= payload["exp"]) return invalid;
  if (typeof payload["nbf"] === "number" && nowSec < payload["nbf"]) return invalid;
  if (c["iss"] !== undefined && payload["iss"] !== c["iss"]) return invalid;
  const aud = payload["aud"];
  if (c["aud"] !== undefined) {
    const auds = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
    if (!auds.includes(c["aud"])) return invalid;
  } else if (aud !== undefined) return invalid;
  return [true, header, payload];
}

export const jwtBuiltins: HostBuiltin[] = [
  {
    name: "io.jwt.decode",
    arity: 1,
    impl: (a) => decode("io.jwt.decode", str("io.jwt.decode", a, 0)),
  },
  { name: "io.jwt.decode_verify", arity: 2, impl: decodeVerify },
  ...["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"].map(verifier),
];
