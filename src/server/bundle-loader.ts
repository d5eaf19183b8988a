// The production bundle loader: the policy stage's loadPolicyBundle, which wraps
// @open-policy-agent/opa-wasm with capgate's host built-ins. It is reached by a
// dynamic import so the sidecar builds and fails closed (no policy loaded) in a
// build where the policy stage is absent, instead of refusing to start.
import { CapgateError } from "../errors.js";
import type { BundleLoader, PolicyBundle } from "./engine.js";

const POLICY_MODULE = "../policy/index.js";

export const loadBundle: BundleLoader = async (path: string): Promise<PolicyBundle> => {
  let mod: { loadPolicyBundle?: (p: string) => Promise<PolicyBundle> };
  try {
    mod = (await import(POLICY_MODULE)) as typeof mod;
  } catch (e) {
    throw new CapgateError("not_configured", "the policy stage (src/policy) is not part of this build", { cause: e });
  }
  if (typeof mod.loadPolicyBundle !== "function") throw new CapgateError("not_configured", "src/policy does not export loadPolicyBundle");
  return mod.loadPolicyBundle(path);
};
