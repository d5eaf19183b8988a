// The policy runtime's front file: what runs a compiled policy, for the sidecar
// (src/server imports nothing else of src/policy), the policy tools and the
// library. It never imports the compiler: modules and hosts meet in src/wasm-abi.
//   instantiate.ts    a Wasm module into the SDK with capgate's host built-ins
//   evaluate-text.ts  one entrypoint on an input, per-evaluation state set
//   eval-errors.ts    the module's aborts and traps as CapgateError
//   load.ts           a bundle file into an instance (signature checked when asked)
//   engine.ts         the sidecar's evaluation seam: the last good bundle, fail closed
//   bundle-loader.ts  the engine's production loader and the configured verifier
export { instantiatePolicy, readCString, setPolicyData, setStrictBuiltinErrors, type PolicyInstance } from "./instantiate.js";
export { evaluatePolicy, evaluatePolicyExact, JsonText, withEvaluationState, type EvaluateOptions } from "./evaluate-text.js";
export { abortToError, sdkText } from "./eval-errors.js";
export { loadPolicyBundle, type LoadedBundle } from "./load.js";
export {
  Engine,
  entrypointNames,
  type BundleLoader,
  type DocumentEvaluation,
  type EvaluablePolicy,
  type Evaluation,
  type PolicyBundle,
} from "./engine.js";
export { bundleLoader, configuredVerifier, isSignedBundle, loadBundle, type BundleVerificationSettings } from "./bundle-loader.js";
