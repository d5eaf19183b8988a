// `capgate keys totp-encryption | assertion`: make the sidecar's keys. The
// TOTP encryption key encrypts the secrets /mfa/totp/verify reads (give it as
// totp.encryption_key or CAPGATE_TOTP_ENCRYPTION_KEY, and to `capgate totp
// encrypt-secrets`); the assertion key signs what a verified code returns
// (assertion.signing_key_file), and its public JWKS goes to the application.
import { join } from "node:path";
import { Option, type Command } from "commander";
import { ASSERTION_ALGS, newAssertionKey, newTotpEncryptionKey, refuseExisting, writeKeyFile, type AssertionAlg } from "../../keys/index.js";

export const ASSERTION_PRIVATE_FILE = "assertion-signing.jwk.json";
export const ASSERTION_JWKS_FILE = "assertion-jwks.json";

export function registerKeys(program: Command): void {
  const group = program.command("keys").description("make the sidecar's keys: TOTP secret encryption, TOTP assertion signing");

  group
    .command("totp-encryption")
    .description("write a new totp.encryption_key (base64url of 32 random bytes) to FILE, readable by its owner only")
    .requiredOption("-o, --out <file>", "file to write")
    .option("--force", "replace an existing file (secrets encrypted with the old key become unreadable)")
    .action((flags: { out: string; force?: boolean }) => {
      writeKeyFile(flags.out, newTotpEncryptionKey() + "\n", { secret: true, force: flags.force === true });
      process.stdout.write(`${flags.out}: TOTP encryption key written; use it as totp.encryption_key (or CAPGATE_TOTP_ENCRYPTION_KEY=$(cat ${flags.out}))\n`);
    });

  group
    .command("assertion")
    .description(`write a new assertion signing key to DIR: ${ASSERTION_PRIVATE_FILE} (private JWK, the sidecar's assertion.signing_key_file) and ${ASSERTION_JWKS_FILE} (public JWKS for the application)`)
    .requiredOption("-o, --out <dir>", "directory to write both files to")
    .addOption(new Option("--alg <alg>", "signing algorithm").choices([...ASSERTION_ALGS]).default("ES256"))
    .option("--kid <id>", "key id (default: from the key's RFC 7638 thumbprint)")
    .option("--force", "replace existing files")
    .action(async (flags: { out: string; alg: AssertionAlg; kid?: string; force?: boolean }) => {
      const { privateJwk, jwks } = await newAssertionKey(flags.alg, flags.kid);
      const privateFile = join(flags.out, ASSERTION_PRIVATE_FILE);
      const jwksFile = join(flags.out, ASSERTION_JWKS_FILE);
      // Both are checked before either is written, so a refusal leaves no half-made pair.
      const force = flags.force === true;
      for (const f of [privateFile, jwksFile]) refuseExisting(f, force);
      writeKeyFile(privateFile, JSON.stringify(privateJwk, null, 2) + "\n", { secret: true, force });
      writeKeyFile(jwksFile, JSON.stringify(jwks, null, 2) + "\n", { secret: false, force });
      process.stdout.write(`${privateFile}: private ${flags.alg} key, kid ${String(privateJwk.kid)} (assertion.signing_key_file)\n${jwksFile}: its public JWKS, for the application that checks assertions\n`);
    });
}
