// TOTP secrets written from outside the sidecar, the front file of the two jobs:
// `capgate totp encrypt-legacy` (legacy.ts: users.mfa_secret into the encrypted
// form, once the data migration has enrolled them) and the Quickstart's demo
// user (demo.ts). Both read src/migrate (the job its migration state, the demo
// its seed), which the sidecar must never load, so they are not in src/totp's
// front file and the sidecar never imports this folder (eslint.config.js).
export {
  encryptLegacySecrets,
  type LegacyEncryptOptions,
  type LegacyEncryptResult,
  type LegacySkipReason,
  type SkippedUsers,
} from "./legacy.js";
export { DEMO_TOTP_USER, demoTotpCode, demoTotpSecret, enrollDemoTotp } from "./demo.js";
