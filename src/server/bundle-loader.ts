// The production bundle loader: the policy stage's loadPolicyBundle, which reads
// a bundle in `opa build -t wasm` layout and loads it into
// @open-policy-agent/opa-wasm with capgate's host built-ins.
import { loadPolicyBundle } from "../policy/load.js";
import type { BundleLoader, PolicyBundle } from "./engine.js";

export const loadBundle: BundleLoader = async (path: string): Promise<PolicyBundle> => {
  const b = await loadPolicyBundle(path);
  return { policy: b.policy, revision: b.revision, entrypoints: b.entrypoints };
};
