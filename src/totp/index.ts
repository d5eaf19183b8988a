// TOTP as a second factor, the one front file the rest of capgate imports:
// verification (verify.ts) and enrollment (enroll.ts) with their per-user state
// on the primary (store.ts), the users' encrypted secrets (secrets.ts) and the
// signed assertion a verified code earns (assertion.ts), assembled from the
// sidecar's config by totpDeps (deps.ts): what the sidecar serves. Nothing here
// loads otplib or qrcode before a code is checked or an enrollment asks for a QR.
//
// Not here: the jobs that write secrets from outside the sidecar (jobs/, its own
// front file): the legacy secret encryption and the Quickstart's demo user. They
// read src/migrate, which the sidecar, importing this file, must never reach
// (eslint.config.js, test/lint/layers.test.ts).
export { OTPLIB_MIN_SECRET_BYTES, parseTotpInput, secretGuardrails, verifyTotp, type TotpDeps } from "./verify.js";
export { confirmEnrollment, startEnrollment } from "./enroll.js";
export { primaryTotpStore } from "./store.js";
export { decodeKey, decryptTotpSecret, encryptTotpSecret } from "./secrets.js";
export { loadAssertionSigner } from "./assertion.js";
export { totpDeps, type TotpConfig } from "./deps.js";
