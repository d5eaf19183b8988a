// capgate's library entry: the Rego → Wasm compiler and the policy tools as
// typed functions, for programs that embed capgate instead of running its CLI.
export { compilePolicy, annotatedEntrypoints, normalizeEntrypoint } from "./compiler/index.js";
export type { CompilePolicyOptions, CompiledModule, PolicySource, PolicyQuery } from "./compiler/index.js";
export { buildBundle, evalQuery, runTests, checkPolicies, findTests } from "./policy/tools/index.js";
export type { BuildBundleOptions, EvalQueryOptions, EvalQueryResult, TestResult, TestStatus } from "./policy/tools/index.js";
export { readBundle, writeBundle } from "./policy/bundle.js";
export type { Bundle, WriteBundleOptions } from "./policy/bundle.js";
export { parseManifest } from "./policy/manifest.js";
export type { BundleManifest } from "./policy/manifest.js";
export { evaluatePolicy, instantiatePolicy, loadPolicyBundle, setPolicyData } from "./policy/runtime/index.js";
export type { LoadedBundle, PolicyInstance } from "./policy/runtime/index.js";
export { hostBuiltins, loadHostBuiltins } from "./policy/host-builtins/index.js";
export { CapgateError, CapgateErrors, isCapgateError } from "./errors.js";
export type { ErrorCode, SourceLocation } from "./errors.js";
