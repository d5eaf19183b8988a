// AWS Signature Version 4 for providers.aws.sign_req, as OPA signs requests.
// The built-in itself runs in Wasm (runtime/assembly/builtins/providers.ts):
// it keeps the request as the policy built it (sets included) and only asks
// this host built-in for the signed headers, so all Rego values stay in the
// module; the hashing and HMACs are node:crypto's.
import { createHash, createHmac } from "node:crypto";
import { AWS_SIGN_BUILTIN } from "../../wasm-abi/index.js";
import { goJsonMarshal } from "./json.js";
import type { HostBuiltinImpl } from "./types.js";

const REQUIRED = ["aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"];
/** Headers a proxy may change on the way, which AWS's own signers leave out. */
const IGNORED = new Set(["authorization", "user-agent", "x-amzn-trace-id"]);

const sha256hex = (data: string): string => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const asString = (v: unknown): string => (typeof v === "string" ? v : "");

/** The parts of a URL Go's url.Parse gives the signer: host (with any port), escaped path, raw query. */
function urlParts(url: string): { host: string; path: string; query: string } {
  const m = /^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?/.exec(url);
  const authority = m?.[1] ?? "";
  return { host: authority.slice(authority.lastIndexOf("@") + 1), path: m?.[2] ?? "", query: m?.[3] ?? "" };
}

/** "20151228T140825Z" and "20151228" for a time in nanoseconds since the epoch. */
function amzDates(ns: number): { iso: string; day: string } {
  const iso = new Date(Math.floor(ns / 1e6)).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { iso, day: iso.slice(0, 8) };
}

/**
 * The request's headers with the signature headers added, or a string: the
 * error to report. Called by the runtime with (request, config, time_ns).
 */
export function signedHeaders(req: unknown, config: unknown, ns: unknown): Record<string, string> | string {
  if (!isObject(req)) return "operand 1 must be an object";
  if (!isObject(config)) return "operand 2 must be an object";
  const missing = REQUIRED.filter((k) => !(k in config));
  if (missing.length > 0) return `operand 2 missing required AWS config parameters(s): {${missing.map((k) => JSON.stringify(k)).join(", ")}}`;
  const invalid = REQUIRED.filter((k) => typeof config[k] !== "string");
  if (invalid.length > 0) return `operand 2 invalid values for required AWS config parameters(s): {${invalid.map((k) => JSON.stringify(k)).join(", ")}}`;
  if (typeof ns !== "bigint" && (typeof ns !== "number" || !Number.isInteger(ns))) return "operand 3 could not convert time_ns value into a unix timestamp";
  const bad = ["method", "url"].filter((k) => typeof req[k] !== "string");
  if (bad.length > 0) return `operand 1 invalid values for required request parameters(s): {${bad.map((k) => JSON.stringify(k)).join(", ")}}`;
  const given = req["headers"] ?? {};
  if (!isObject(given)) return "operand 1 headers must be an object";
  const unsigned = config["disable_payload_signing"];
  if (unsigned !== undefined && typeof unsigned !== "boolean") return "operand 2 invalid value for 'disable_payload_signing' in AWS config";

  const service = config["aws_service"] as string;
  const region = config["aws_region"] as string;
  const token = asString(config["aws_session_token"]);
  const body = "raw_body" in req ? asString(req["raw_body"]) : "body" in req ? goJsonMarshal(req["body"]) : "";
  const contentHash = unsigned === true ? "UNSIGNED-PAYLOAD" : sha256hex(body);
  const url = urlParts(req["url"] as string);
  const { iso, day } = amzDates(Number(ns));

  const amz: Record<string, string> = { host: url.host, "x-amz-date": iso };
  if (service === "s3" || service === "glacier") amz["x-amz-content-sha256"] = contentHash;
  if (token !== "") amz["x-amz-security-token"] = token;

  const toSign = new Map<string, string>(Object.entries(amz));
  const original: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    original[k] = asString(v);
    if (!IGNORED.has(k.toLowerCase())) toSign.set(k.toLowerCase(), asString(v));
  }
  const keys = [...toSign.keys()].sort();
  const signed = keys.join(";");
  const canonical = [
    req["method"] as string,
    url.path,
    url.query,
    ...keys.map((k) => `${k}:${toSign.get(k)}`),
    "",
    signed,
    contentHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", iso, scope, sha256hex(canonical)].join("\n");
  let key = hmac(`AWS4${config["aws_secret_access_key"] as string}`, day);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  return {
    ...original,
    Authorization: `AWS4-HMAC-SHA256 Credential=${config["aws_access_key"] as string}/${scope},SignedHeaders=${signed},Signature=${signature}`,
    ...amz,
  };
}

export const awsBuiltins: HostBuiltinImpl<"aws">[] = [
  // Called by the runtime only; an error comes back as text, which the runtime
  // reports under the name of the built-in the policy called.
  { name: AWS_SIGN_BUILTIN, impl: ([req, config, ns]) => signedHeaders(req, config, ns) },
];
