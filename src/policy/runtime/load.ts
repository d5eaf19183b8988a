// loadPolicyBundle: a bundle file or its bytes → a ready policy instance with
// the bundle's data set, as the sidecar and `capgate policy eval` use it; with
// a verifier, only once the bundle's signature covers every file it holds.
import { readFile } from "node:fs/promises";
import { CapgateError } from "../../errors.js";
import { readBundle, type ReadBundleOptions } from "../bundle.js";
import { STRICT_BUILTIN_ERRORS_KEY } from "../manifest.js";
import type { BundleManifest } from "../manifest.js";
import type { VerifiedSignature } from "../signing/index.js";
import { instantiatePolicy, setStrictBuiltinErrors, type PolicyInstance } from "./instantiate.js";

export interface LoadedBundle {
  instance: PolicyInstance;
  /** The SDK's LoadedPolicy, data already set. */
  policy: PolicyInstance["policy"];
  manifest: BundleManifest;
  revision: string;
  entrypoints: string[];
  data: Record<string, unknown>;
  signed: boolean;
  verified: VerifiedSignature | null;
}

export async function loadPolicyBundle(source: string | Uint8Array, opts: ReadBundleOptions = {}): Promise<LoadedBundle> {
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new CapgateError("bundle_error", `cannot read bundle ${source}: ${(e as Error).message.split("\n")[0]}`);
    }
  } else bytes = source;
  const bundle = await readBundle(bytes, opts);
  const instance = await instantiatePolicy(bundle.wasm, bundle.data);
  const strict = bundle.manifest.metadata?.[STRICT_BUILTIN_ERRORS_KEY];
  if (strict !== undefined && typeof strict !== "boolean") {
    throw new CapgateError("bundle_error", `.manifest: metadata.${STRICT_BUILTIN_ERRORS_KEY} must be true or false`);
  }
  if (strict !== undefined) setStrictBuiltinErrors(instance, strict);
  const declared = bundle.manifest.wasm.map((w) => w.entrypoint);
  const unknown = declared.filter((e) => !instance.entrypoints.includes(e));
  if (unknown.length > 0) {
    throw new CapgateError("bundle_error", `.manifest names entrypoint ${unknown.join(", ")}, which policy.wasm does not export`);
  }
  return {
    instance,
    policy: instance.policy,
    manifest: bundle.manifest,
    revision: bundle.manifest.revision,
    entrypoints: instance.entrypoints,
    data: bundle.data,
    signed: bundle.signed,
    verified: bundle.verified,
  };
}
