// loadPolicyBundle: a bundle file or its bytes → a ready policy instance with
// the bundle's data set, as the sidecar and `capgate policy eval` use it.
import { readFile } from "node:fs/promises";
import { CapgateError } from "../errors.js";
import { readBundle } from "./bundle.js";
import { instantiatePolicy, type PolicyInstance } from "./evaluate.js";
import type { BundleManifest } from "./manifest.js";

export interface LoadedBundle {
  instance: PolicyInstance;
  /** The SDK's LoadedPolicy, data already set. */
  policy: PolicyInstance["policy"];
  manifest: BundleManifest;
  revision: string;
  entrypoints: string[];
  data: Record<string, unknown>;
}

export async function loadPolicyBundle(source: string | Uint8Array): Promise<LoadedBundle> {
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new CapgateError("bundle_error", `cannot read bundle ${source}: ${(e as Error).message.split("\n")[0]}`);
    }
  } else bytes = source;
  const bundle = await readBundle(bytes);
  const instance = await instantiatePolicy(bundle.wasm, bundle.data);
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
  };
}
