// The production bundle loader: the policy stage's loadPolicyBundle, which reads
// a bundle in `opa build -t wasm` layout and loads it into
// @open-policy-agent/opa-wasm with capgate's host built-ins, evaluated through
// evaluatePolicy (per-evaluation time, deadline, UUIDs and print capture,
// errors as CapgateError).
import { evaluatePolicy } from "../policy/evaluate.js";
import { loadPolicyBundle } from "../policy/load.js";
import type { BundleLoader, PolicyBundle } from "./engine.js";

export const loadBundle: BundleLoader = async (path: string): Promise<PolicyBundle> => {
  const b = await loadPolicyBundle(path);
  return {
    policy: { evaluate: (input, entrypoint, nowNs, deadline) => evaluatePolicy(b.instance, input, entrypoint, { nowNs, deadline }) },
    revision: b.revision,
    entrypoints: b.entrypoints,
  };
};
