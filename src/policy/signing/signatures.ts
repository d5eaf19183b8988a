// The bundle's `/.signatures.json`, in OPA's format: `{"signatures": [JWT]}`,
// one compact JWS whose payload lists every other file of the bundle with its
// digest (`{"files": [{"name", "hash", "algorithm"}], "keyid"?, "scope"?,
// ...claims}`). Signing writes it; verifying checks the JWS with the configured
// key, the key id and scope, and that the files listed and the files present
// are the same, each with the digest listed.
import { readFileSync } from "node:fs";
// jose by subpath: its index loads every JWS/JWE/JWT/JWKS module at start-up.
import type { ProtectedHeaderParameters } from "jose";
import { decodeProtectedHeader } from "jose/decode/protected_header";
import { CompactSign } from "jose/jws/compact/sign";
import { compactVerify } from "jose/jws/compact/verify";
import { CapgateError } from "../../errors.js";
import { normalizeEntryPath } from "../bundle-path.js";
import { DEFAULT_HASH, hashBundleFile } from "./file-hash.js";
import { parseSigningAlgorithm, readSigningKey, readVerificationKey, type JoseKey, type SigningAlgorithm } from "./keys.js";

export const SIGNATURES_FILE = ".signatures.json";
/** The key id OPA's `build` and `run` use when none is given. */
export const DEFAULT_KEY_ID = "default";

export interface FileInfo {
  name: string;
  hash: string;
  algorithm: string;
}

export interface BundleSigner {
  alg: SigningAlgorithm;
  key: JoseKey;
  keyId: string;
  /** The claims file's object; as in OPA, with claims there is no added `keyid` claim. */
  claims: Record<string, unknown> | null;
}

export interface SignerOptions {
  keyFile: string;
  /** Default RS256, as `opa build`. */
  alg?: string | undefined;
  claimsFile?: string | undefined;
}

export function loadBundleSigner(opts: SignerOptions): BundleSigner {
  const alg = parseSigningAlgorithm(opts.alg ?? "RS256", "--signing-alg");
  const key = readSigningKey(opts.keyFile, alg);
  const claims = opts.claimsFile === undefined ? null : readClaims(opts.claimsFile);
  const keyId = typeof claims?.["keyid"] === "string" ? claims["keyid"] : DEFAULT_KEY_ID;
  return { alg, key, keyId, claims };
}

function readClaims(file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CapgateError("config_error", `claims file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split("\n")[0]}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new CapgateError("config_error", `claims file ${file}: must hold a JSON object of claims`);
  if ("files" in v) throw new CapgateError("config_error", `claims file ${file}: "files" is the signer's to write`);
  return v as Record<string, unknown>;
}

/** The bytes of `/.signatures.json` for the bundle files (normalized paths; the signatures file itself left out). */
export async function signBundleFiles(files: ReadonlyMap<string, Uint8Array>, signer: BundleSigner): Promise<Uint8Array> {
  const listed: FileInfo[] = [...files.keys()]
    .filter((p) => p !== SIGNATURES_FILE)
    .sort()
    .map((name) => ({ name, hash: hashBundleFile(name, files.get(name)!, DEFAULT_HASH), algorithm: DEFAULT_HASH }));
  const payload = { files: listed, ...(signer.claims ?? { keyid: signer.keyId }) };
  const token = await new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.keyId })
    .sign(signer.key);
  // The layout OPA writes (one-space indent), though readers only need the JSON.
  return Buffer.from(JSON.stringify({ signatures: [token] }, null, " "));
}

export interface BundleVerifier {
  keyFile: string;
  keyId: string;
  scope: string;
  key: JoseKey;
  algorithms: readonly SigningAlgorithm[];
  kind: string;
}

export interface VerifierOptions {
  keyFile: string;
  keyId?: string | undefined;
  scope?: string | undefined;
}

/** Reads the verification key now, so a bad key file stops start-up rather than every load. */
export function loadBundleVerifier(opts: VerifierOptions): BundleVerifier {
  const k = readVerificationKey(opts.keyFile);
  return { keyFile: opts.keyFile, keyId: opts.keyId ?? DEFAULT_KEY_ID, scope: opts.scope ?? "", ...k };
}

export interface VerifiedSignature {
  keyId: string;
  scope: string;
  files: number;
}

const refuse = (file: string, problem: string): CapgateError => new CapgateError("bundle_error", `/${file}: ${problem}`);

/**
 * Checks the bundle files (normalized paths → bytes) against their
 * `/.signatures.json`; throws one bundle_error line naming the file and the problem.
 */
export async function verifyBundleFiles(files: ReadonlyMap<string, Uint8Array>, verifier: BundleVerifier): Promise<VerifiedSignature> {
  const sigBytes = files.get(SIGNATURES_FILE);
  if (sigBytes === undefined) throw refuse(SIGNATURES_FILE, "missing: the bundle is not signed, and a verification key is configured");
  const token = readToken(sigBytes);
  const header = readHeader(token);
  const alg = String(header.alg);
  if (!(verifier.algorithms as readonly string[]).includes(alg))
    throw refuse(SIGNATURES_FILE, `signed with ${JSON.stringify(alg)}, which the verification key (${verifier.kind}) does not verify`);

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, verifier.key, { algorithms: [...verifier.algorithms] }));
  } catch {
    throw refuse(SIGNATURES_FILE, `the signature does not verify with the verification key ${verifier.keyFile}`);
  }
  const payload = readPayload(payloadBytes);

  const kid = typeof header.kid === "string" ? header.kid : typeof payload["keyid"] === "string" ? payload["keyid"] : undefined;
  if (kid !== undefined && kid !== verifier.keyId)
    throw refuse(SIGNATURES_FILE, `signed for key id ${JSON.stringify(kid)}, but the verification key's id is ${JSON.stringify(verifier.keyId)}`);
  const scope = payload["scope"] ?? "";
  if (scope !== verifier.scope) throw refuse(SIGNATURES_FILE, `scope ${JSON.stringify(scope)} does not match the configured scope ${JSON.stringify(verifier.scope)}`);

  const listed = listedFiles(payload["files"]);
  for (const path of [...files.keys()].sort()) {
    if (path === SIGNATURES_FILE) continue;
    const entry = listed.get(path);
    if (entry === undefined) throw refuse(path, "not listed in the bundle signature");
    const got = hashBundleFile(path, files.get(path)!, entry.algorithm);
    if (got !== entry.hash.toLowerCase()) throw refuse(path, `digest mismatch: its ${entry.algorithm} is ${got}, the bundle signature lists ${entry.hash}`);
    listed.delete(path);
  }
  const absent = [...listed.keys()][0];
  if (absent !== undefined) throw refuse(absent, "listed in the bundle signature but not in the bundle");
  return { keyId: verifier.keyId, scope: verifier.scope, files: files.size - 1 };
}

function readToken(bytes: Uint8Array): string {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw refuse(SIGNATURES_FILE, `not valid JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw refuse(SIGNATURES_FILE, 'must hold an object {"signatures": [JWT]}');
  const { signatures, plugin } = doc as { signatures?: unknown; plugin?: unknown };
  if (plugin !== undefined && plugin !== "") throw refuse(SIGNATURES_FILE, `names signing plugin ${JSON.stringify(plugin)}; capgate verifies only OPA's default JWT signatures`);
  if (!Array.isArray(signatures) || signatures.length !== 1 || typeof signatures[0] !== "string")
    throw refuse(SIGNATURES_FILE, `"signatures" must hold exactly one JWT, found ${Array.isArray(signatures) ? `${signatures.length} item(s)` : "none"}`);
  return signatures[0];
}

function readHeader(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token);
  } catch (e) {
    throw refuse(SIGNATURES_FILE, `the signature is not a compact JWT: ${(e as Error).message.split("\n")[0]}`);
  }
}

function readPayload(bytes: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw refuse(SIGNATURES_FILE, "the signed payload is not JSON");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw refuse(SIGNATURES_FILE, "the signed payload is not a JSON object");
  return v as Record<string, unknown>;
}

/** The payload's `files`, keyed by normalized path (OPA writes them without a leading slash). */
function listedFiles(raw: unknown): Map<string, FileInfo> {
  if (!Array.isArray(raw)) throw refuse(SIGNATURES_FILE, 'the signed payload has no "files" list');
  const out = new Map<string, FileInfo>();
  for (const [i, f] of raw.entries()) {
    const { name, hash, algorithm } = (f ?? {}) as Partial<Record<keyof FileInfo, unknown>>;
    if (typeof name !== "string" || typeof hash !== "string" || !/^[0-9a-fA-F]+$/.test(hash))
      throw refuse(SIGNATURES_FILE, `files[${i}] must have a "name" and a hex "hash"`);
    if (typeof algorithm !== "string" || algorithm === "") throw refuse(SIGNATURES_FILE, `files[${i}] (${name}) names no hash algorithm`);
    const path = normalizeEntryPath(name);
    if (out.has(path)) throw refuse(SIGNATURES_FILE, `lists ${name} twice`);
    out.set(path, { name, hash, algorithm });
  }
  return out;
}
