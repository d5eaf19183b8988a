// Signed policy bundles in OPA's format (`/.signatures.json`): what
// `capgate policy build --signing-key` writes and what the sidecar, given a
// verification key, checks before it loads a bundle.
export { canonicalJson } from "./canonical-json.js";
export { DEFAULT_HASH, hashBundleFile, isStructured } from "./file-hash.js";
export { SIGNING_ALGORITHMS, type SigningAlgorithm } from "./keys.js";
export {
  DEFAULT_KEY_ID,
  SIGNATURES_FILE,
  loadBundleSigner,
  loadBundleVerifier,
  signBundleFiles,
  verifyBundleFiles,
  type BundleSigner,
  type BundleVerifier,
  type FileInfo,
  type SignerOptions,
  type VerifiedSignature,
  type VerifierOptions,
} from "./signatures.js";
