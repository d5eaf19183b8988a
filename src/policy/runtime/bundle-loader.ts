// The production bundle loader: the policy stage's loadPolicyBundle, which reads
// a bundle in `opa build -t wasm` layout and loads it into
// @open-policy-agent/opa-wasm with capgate's host built-ins, evaluated through
// evaluatePolicy (per-evaluation time, deadline, UUIDs and print capture,
// errors as CapgateError). Given a verifier (`bundle_verification`), a bundle
// whose signature is missing or wrong, or whose files it does not cover, is refused.
import { readFile } from "node:fs/promises";
import { readBundle } from "../bundle.js";
import { loadBundleVerifier, type BundleVerifier } from "../signing/index.js";
import type { BundleLoader, PolicyBundle } from "./engine.js";
import { evaluatePolicy } from "./evaluate-text.js";
import { loadPolicyBundle } from "./load.js";

export function bundleLoader(verifier: BundleVerifier | null): BundleLoader {
  return async (path: string): Promise<PolicyBundle> => {
    const b = await loadPolicyBundle(path, { verifier });
    return {
      policy: { resultSet: (input, entrypoint, nowNs, deadline) => evaluatePolicy(b.instance, input, entrypoint, { nowNs, deadline }) },
      revision: b.revision,
      entrypoints: b.entrypoints,
    };
  };
}

/** Loads bundles without checking signatures. */
export const loadBundle: BundleLoader = bundleLoader(null);

/** Whether the bundle file holds a `/.signatures.json` (for a warning when nothing checks it). */
export async function isSignedBundle(path: string): Promise<boolean> {
  return (await readBundle(await readFile(path))).signed;
}

/** The sidecar's `bundle_verification` settings. */
export interface BundleVerificationSettings {
  key_file?: string | undefined;
  key_id?: string | undefined;
  scope?: string | undefined;
}

/** The configured verifier, its key read now (a bad key file is a config_error), or null. */
export function configuredVerifier(v: BundleVerificationSettings): BundleVerifier | null {
  if (v.key_file === undefined) return null;
  return loadBundleVerifier({ keyFile: v.key_file, keyId: v.key_id, scope: v.scope });
}
