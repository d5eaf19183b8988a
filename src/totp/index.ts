// TOTP as a second factor, the one front file the rest of capgate imports:
// verification (verify.ts) and enrollment (enroll.ts) with their per-user state
// on the primary (store.ts), the users' encrypted secrets (secrets.ts) and the
// signed assertion a verified code earns (assertion.ts): what the sidecar
// serves. Nothing here loads otplib or qrcode before a code is checked or an
// enrollment asks for a QR.
//
// Not here: the jobs that write secrets from outside the sidecar (jobs/, its own
// front file): the legacy secret encryption and the Quickstart's demo user. They
// read src/migrate, which the sidecar, importing this file, must never reach
// (eslint.config.js, test/lint/layers.test.ts).
export {
  checkCode,
  loadOtplib,
  OTPLIB_MIN_SECRET_BYTES,
  parseTotpInput,
  secretGuardrails,
  verifyTotp,
  type TotpDeps,
  type TotpInput,
  type TotpOutcome,
  type TotpSettings,
} from "./verify.js";
export { confirmEnrollment, primaryTotpEnrollments, startEnrollment, type TotpEnrollmentStore } from "./enroll.js";
export { primaryTotpStore, type TotpStore, type TotpSubject } from "./store.js";
export { totpDeps, type TotpConfig } from "./deps.js";
export { decodeKey, decryptTotpSecret, encryptTotpSecret, primaryTotpSecrets, type TotpSecretSource } from "./secrets.js";
export { loadAssertionSigner, type AssertionSigner } from "./assertion.js";
