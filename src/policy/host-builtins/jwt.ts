// io.jwt.* built-ins. Decoding uses jose; signature checks use node:crypto's
// synchronous verify because the SDK calls host built-ins synchronously and
// jose's verification is asynchronous (WebCrypto). Keys: PEM certificates or
// public keys, a JWK, or a JWK set ({"keys": [...]}), as OPA accepts.
import { createHmac, createPrivateKey, createPublicKey, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify, type JsonWebKey, type KeyObject } from "node:crypto";
import type { HostBuiltinName } from "../../wasm-abi/index.js";
import { builtinError, obj, str, toJsonText, type HostBuiltinImpl, type HostContext } from "./types.js";

function split(name: string, token: string): [string, string, string] {
  const parts = token.split(".");
  if (parts.length !== 3) throw builtinError(name, "token must have three dot-separated parts (JWS compact form)");
  return parts as [string, string, string];
}

/** One level of a token: its header and payload as JSON, its signature as hex. */
function decodeLevel(name: string, token: string): [Record<string, unknown>, unknown, string] {
  const [h, p, sig] = split(name, token);
  const part = (b64: string, what: string): unknown => {
    try {
      return JSON.parse(Buffer.from(b64, "base64url").toString("utf8")) as unknown;
    } catch {
      throw builtinError(name, `malformed token: the ${what} is not base64url-encoded JSON`);
    }
  };
  const header = part(h, "header");
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw builtinError(name, "malformed token: the header is not a JSON object");
  if ("enc" in header) throw builtinError(name, "JWE is not supported");
  const signature = Buffer.from(sig, "base64url").toString("hex");
  // A nested token's payload is the inner token, as text or as a JSON string.
  if ((header as Record<string, unknown>)["cty"] === "JWT") {
    const text = Buffer.from(p, "base64url").toString("utf8");
    return [header as Record<string, unknown>, text.startsWith('"') ? part(p, "payload") : text, signature];
  }
  return [header as Record<string, unknown>, part(p, "payload"), signature];
}

/** The innermost level of a token: a header with cty "JWT" means the payload is another token (or a JSON string holding one). */
function decode(name: string, token: string): [Record<string, unknown>, Record<string, unknown>, string] {
  let current = token;
  for (;;) {
    const [header, payload, sig] = decodeLevel(name, current);
    if (header["cty"] === "JWT") {
      if (typeof payload !== "string") throw builtinError(name, "malformed token: a nested token's payload is not a token");
      current = payload;
      continue;
    }
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) throw builtinError(name, "malformed token: the payload is not a JSON object");
    return [header, payload as Record<string, unknown>, sig];
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
const SIGNING_ALG = /^((HS|RS|PS|ES)(256|384|512)|EdDSA)$/;

function signatureValid(name: string, alg: string, token: string, keyMaterial: string): boolean {
  const [h, p, s] = split(name, token);
  const signed = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, "base64url");
  if (alg === "EdDSA") {
    return publicKeys(name, keyMaterial).some((key) => {
      try {
        return cryptoVerify(null, signed, key, sig);
      } catch {
        return false;
      }
    });
  }
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

/** Signs `header.payload` (both already base64url) with a JWK, synchronously. */
function signToken(name: string, headerJson: string, payloadJson: string, jwkJson: string): string {
  let header: Record<string, unknown>;
  let jwk: JsonWebKey;
  try {
    header = JSON.parse(headerJson) as Record<string, unknown>;
    jwk = JSON.parse(jwkJson) as JsonWebKey;
    // The payload is JSON unless the header names a media type other than JWT.
    const media = header["cty"] ?? header["typ"];
    if (media === undefined || (typeof media === "string" && /^(application\/)?jwt$/i.test(media))) JSON.parse(payloadJson);
  } catch (e) {
    throw builtinError(name, `header, payload and key must be JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  const alg = header["alg"];
  if (typeof alg !== "string" || !SIGNING_ALG.test(alg)) throw builtinError(name, `unsupported algorithm ${String(alg)}`);
  const signing = Buffer.from(`${Buffer.from(headerJson).toString("base64url")}.${Buffer.from(payloadJson).toString("base64url")}`);
  const hash = HASH[alg.slice(2)]!;
  let sig: Buffer;
  try {
    if (alg === "EdDSA") {
      sig = cryptoSign(null, signing, createPrivateKey({ key: jwk, format: "jwk" }));
    } else if (alg.startsWith("HS")) {
      if (typeof jwk.k !== "string") throw new Error("an HS key needs a k member");
      sig = createHmac(hash, Buffer.from(jwk.k, "base64url")).update(signing).digest();
    } else {
      const key = createPrivateKey({ key: jwk, format: "jwk" });
      if (alg.startsWith("RS")) sig = cryptoSign(hash, signing, key);
      else if (alg.startsWith("PS")) sig = cryptoSign(hash, signing, { key, padding: 6, saltLength: Number(alg.slice(2)) / 8 });
      else sig = cryptoSign(hash, signing, { key, dsaEncoding: "ieee-p1363" });
    }
  } catch (e) {
    throw builtinError(name, `cannot sign: ${(e as Error).message.split("\n")[0]}`);
  }
  return `${signing.toString()}.${sig.toString("base64url")}`;
}

const verifier = (alg: string): HostBuiltinImpl<"jwt"> => {
  // A name the table lacks is refused when the family is registered (host-builtins/index.ts).
  const name = `io.jwt.verify_${alg.toLowerCase()}` as HostBuiltinName<"jwt">;
  return { name, impl: (a) => signatureValid(name, alg, str(name, a, 0), str(name, a, 1)) };
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
  let header: Record<string, unknown> = {};
  let payload: Record<string, unknown> = {};
  // A token whose header says cty "JWT" carries another token as its payload:
  // every level must verify, and the innermost one is the answer (as OPA).
  for (let current = token; ; ) {
    let body: unknown;
    try {
      [header, body] = decodeLevel(n, current);
    } catch {
      return invalid;
    }
    const alg = header["alg"];
    if (typeof alg !== "string" || !SIGNING_ALG.test(alg)) return invalid;
    // No critical header extension is understood, so a token naming one is refused.
    if (header["crit"] !== undefined) return invalid;
    if (c["alg"] !== undefined && c["alg"] !== alg) return invalid;
    if (alg.startsWith("HS") !== (c["secret"] !== undefined)) return invalid;
    if (!signatureValid(n, alg, current, key)) return invalid;
    if (header["cty"] !== "JWT") {
      if (body === null || typeof body !== "object" || Array.isArray(body)) return invalid;
      payload = body as Record<string, unknown>;
      break;
    }
    if (typeof body !== "string") return invalid;
    current = body;
  }
  const nowSec = Number(c["time"] !== undefined ? Number(c["time"]) / 1e9 : Number(ctx.nowNs ?? BigInt(Date.now()) * 1_000_000n) / 1e9);
  for (const claim of ["exp", "nbf"]) {
    if (claim in payload && typeof payload[claim] !== "number") throw builtinError(n, `${claim} value must be a number`);
  }
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

export const jwtBuiltins: HostBuiltinImpl<"jwt">[] = [
  {
    name: "io.jwt.decode",
    impl: (a) => decode("io.jwt.decode", str("io.jwt.decode", a, 0)),
  },
  { name: "io.jwt.decode_verify", impl: decodeVerify },
  {
    name: "io.jwt.encode_sign_raw",
    impl: (a) => {
      const n = "io.jwt.encode_sign_raw";
      return signToken(n, str(n, a, 0), str(n, a, 1), str(n, a, 2));
    },
  },
  {
    name: "io.jwt.encode_sign",
    impl: (a) => {
      const n = "io.jwt.encode_sign";
      return signToken(n, toJsonText(obj(n, a, 0)), toJsonText(obj(n, a, 1)), toJsonText(obj(n, a, 2)));
    },
  },
  ...["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"].map(verifier),
];
