// The digest of one bundle file as a bundle signature lists it (OPA's rule):
// the structured files (`data.json`, `data.yaml`, `.manifest`, by base name)
// are hashed over their canonical JSON, every other file over its bytes.
import { createHash } from "node:crypto";
import { CapgateError } from "../../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { yaml } from "../../yaml-lazy.js";

/** OPA's algorithm names and Node's. MD5 and SHA-1 are refused: collisions in them can be made. */
const HASHES: Readonly<Record<string, string>> = {
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
  "SHA-512-224": "sha512-224",
  "SHA-512-256": "sha512-256",
};
const WEAK = new Set(["MD5", "SHA-1"]);

export const DEFAULT_HASH = "SHA-256";

const STRUCTURED = new Set(["data.json", "data.yaml", ".manifest"]);

/** Whether OPA hashes `path` over its canonical JSON rather than its bytes. */
export function isStructured(path: string): boolean {
  return STRUCTURED.has(path.slice(path.lastIndexOf("/") + 1));
}

/** Hex digest of the file at `path` (a normalized bundle path) with `algorithm` (an OPA name). */
export function hashBundleFile(path: string, bytes: Uint8Array, algorithm: string): string {
  const file = `/${path}`;
  const node = HASHES[algorithm];
  if (node === undefined) {
    const why = WEAK.has(algorithm) ? "is too weak to trust" : "is not a hash algorithm OPA defines";
    throw new CapgateError("bundle_error", `${file}: the bundle signature hashes it with ${JSON.stringify(algorithm)}, which ${why}`);
  }
  return createHash(node).update(isStructured(path) ? canonicalText(path, bytes) : bytes).digest("hex");
}

function canonicalText(path: string, bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8");
  if (!path.endsWith(".yaml")) return canonicalJson(text, `/${path}`);
  let doc: unknown;
  try {
    doc = yaml().parse(text);
  } catch (e) {
    throw new CapgateError("bundle_error", `/${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  return canonicalJson(JSON.stringify(doc ?? null), `/${path}`);
}
