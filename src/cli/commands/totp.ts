// `capgate totp encrypt-secrets`: encrypts the legacy users.mfa_secret of every
// user enrolled in totp into user_capability_state.data.secret_jwe, where
// /mfa/totp/verify reads it; with --refresh, also follows legacy secrets that
// changed since (users re-enrolled in the legacy application). The key comes
// from the sidecar's own config file or CAPGATE_TOTP_ENCRYPTION_KEY, never
// from argv (visible in `ps`).
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { addPrimaryOptions, primaryOptionsFrom, withPrimary, type PrimaryFlags } from "../../primary/index.js";
import { loadConfig } from "../../server/config.js";
import { encryptLegacySecrets, type LegacyEncryptResult, type LegacySkipReason } from "../../totp/jobs/index.js";
import { decodeKey } from "../../totp/index.js";

interface Flags extends PrimaryFlags {
  config?: string;
  refresh?: boolean;
}

const SKIP_LABELS: Record<LegacySkipReason, string> = {
  not_base32: "not base32",
  bad_length: "not totp.min_secret_bytes to 64 bytes once decoded, as verification needs",
  changed: "changed while running; run again",
  undecryptable: "secret_jwe does not open with this key; left alone",
  not_from_legacy: "secret_jwe enrolled otherwise, not from users.mfa_secret; left alone",
};

function summary(r: LegacyEncryptResult, location: string): string {
  const skips = (Object.keys(SKIP_LABELS) as LegacySkipReason[])
    .filter((reason) => r.skipped[reason].count > 0)
    .map((reason) => {
      const { count, sample } = r.skipped[reason];
      return `${count} skipped (${SKIP_LABELS[reason]}): ${sample.join(", ")}${count > sample.length ? ", ..." : ""}`;
    });
  if (r.encrypted === 0 && r.refreshed === 0 && r.adopted === 0 && r.withdrawn === 0 && skips.length === 0)
    return `nothing to encrypt on ${location}: every user enrolled in totp with a legacy secret has user_capability_state.data.secret_jwe`;
  const done = [`encrypted ${r.encrypted} TOTP secret(s) into user_capability_state.data.secret_jwe on ${location}`];
  if (r.refreshed > 0) done.push(`re-encrypted ${r.refreshed} changed since (re-enrolled in the legacy application)`);
  if (r.adopted > 0) done.push(`marked ${r.adopted} stored one(s) as taken from users.mfa_secret`);
  if (r.withdrawn > 0) done.push(`withdrew ${r.withdrawn} whose new legacy secret verification cannot use (those users must re-enroll)`);
  return [...done, ...skips].join("; ");
}

export function registerTotp(program: Command): void {
  const group = program.command("totp").description("TOTP secrets on the primary");

  addPrimaryOptions(group.command("encrypt-secrets"))
    .description(
      "encrypt each totp-enrolled user's legacy users.mfa_secret into user_capability_state.data.secret_jwe " +
        "(rows that have one are left alone unless --refresh; users.mfa_secret is kept)",
    )
    .option(
      "--refresh",
      "also re-encrypt a secret_jwe taken from users.mfa_secret whose legacy secret has changed since (a user re-enrolled in the legacy application)",
    )
    .option(
      "--config <file>",
      "the sidecar's config file: its totp.encryption_key (or CAPGATE_TOTP_ENCRYPTION_KEY), and its database_url when --database-url is not given",
    )
    .action(async (flags: Flags) => {
      // The key is checked before the primary is opened, so a bad one writes nothing.
      const config = loadConfig({ file: flags.config, env: process.env });
      const encoded = config.totp.encryption_key;
      if (encoded === undefined)
        throw new CapgateError(
          "config_error",
          "totp.encryption_key is not set: give --config FILE with totp.encryption_key, or set CAPGATE_TOTP_ENCRYPTION_KEY",
        );
      const key = decodeKey(encoded);
      // The sidecar reads secrets from its config's database_url, so that is where they are written.
      const options = primaryOptionsFrom({ databaseUrl: flags.databaseUrl ?? config.database_url, dataDir: flags.dataDir });
      await withPrimary(options, async (primary) => {
        const result = await encryptLegacySecrets(primary, key, { refresh: flags.refresh === true, minSecretBytes: config.totp.min_secret_bytes });
        process.stdout.write(summary(result, primary.location) + "\n");
      });
    });
}
