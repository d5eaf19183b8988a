// `capgate snapshot export | verify | inspect | apply | keygen`: the
// operator's path from the primary to a sidecar's replica.
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { addPrimaryOptions, primaryOptionsFromFlags, withPrimary, type PrimaryFlags } from "../../primary/index.js";
import {
  applySnapshot, exportSnapshot, generateSigningKeys, inspectSnapshot, loadSigningKey, loadVerifyKey, verifySnapshot,
  type SigningAlg, type SnapshotInfo,
} from "../../snapshot/index.js";
import { rowsProgress, type Progress } from "../../snapshot/progress.js";

const out = (line: string): void => {
  process.stdout.write(line + "\n");
};

/** onStart/onProgress callbacks that drive a terminal progress bar. */
function progressHooks(label: string): { hooks: { onStart: (n: number) => void; onProgress: (n: number) => void }; stop: () => void } {
  let bar: Progress | undefined;
  return {
    hooks: { onStart: (n) => (bar = rowsProgress(label, n)), onProgress: (n) => bar?.update(n) },
    stop: () => bar?.stop(),
  };
}

function describe(info: SnapshotInfo): string {
  const rows = info.header.tables.reduce((a, t) => a + t.rows, 0);
  const sig = !info.signed ? "unsigned" : info.signatureVerified ? `signature ok (${info.alg})` : `signed (${info.alg}), signature not checked: no --key`;
  return `${info.file}: ok: snapshot ${info.header.snapshot_id}, schema ${info.header.schema_version}, watermark ${info.header.watermark ?? "none"}, ${rows} rows, ${info.digest}, ${sig}`;
}

export function registerSnapshot(program: Command): void {
  const group = program.command("snapshot").description("export, verify, inspect and apply replica snapshots");

  addPrimaryOptions(group.command("export"))
    .description("write a snapshot of the primary's capability tables (one consistent transaction)")
    .requiredOption("-o, --output <file>", "snapshot file to write")
    .option("--sign-key <file>", "sign with this ES256 or EdDSA private key (PEM or JWK)")
    .action(async (flags: PrimaryFlags & { output: string; signKey?: string }) => {
      const signKey = flags.signKey !== undefined ? loadSigningKey(flags.signKey) : undefined;
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        const p = progressHooks("export");
        try {
          const info = await exportSnapshot(primary, flags.output, { ...(signKey ? { signKey } : {}), ...p.hooks });
          p.stop();
          out(`${describe(info)}, ${info.bytes} bytes`);
        } finally {
          p.stop();
        }
      });
    });

  group
    .command("verify <file>")
    .description("check a snapshot's structure, digest and (with --key) signature")
    .option("--key <file>", "public key (PEM or JWK) the snapshot must be signed with")
    .action(async (file: string, flags: { key?: string }) => {
      const key = flags.key !== undefined ? loadVerifyKey(flags.key) : undefined;
      out(describe(await verifySnapshot(file, key ? { key } : {})));
    });

  group
    .command("inspect <file>")
    .description("print a snapshot's metadata (header) as JSON without verifying it")
    .action((file: string) => {
      out(JSON.stringify(inspectSnapshot(file), null, 2));
    });

  group
    .command("apply <file>")
    .description("verify a snapshot and atomically replace the replica with it")
    .requiredOption("--replica <path>", "replica file to replace")
    .option("--key <file>", "public key the snapshot must be signed with (recommended)")
    .option("--force", "apply even if the snapshot is older than the replica")
    .action(async (file: string, flags: { replica: string; key?: string; force?: boolean }) => {
      const key = flags.key !== undefined ? loadVerifyKey(flags.key) : undefined;
      const p = progressHooks("apply");
      try {
        const r = await applySnapshot(file, flags.replica, { ...(key ? { key } : {}), force: flags.force === true, ...p.hooks });
        p.stop();
        const from = r.previous ? ` (was snapshot ${r.previous.snapshotId}, watermark ${r.previous.watermark ?? "none"})` : "";
        out(`${flags.replica}: applied snapshot ${r.meta.snapshotId}, schema ${r.meta.schemaVersion}, watermark ${r.meta.watermark ?? "none"}, ${r.rows} rows${from}`);
      } finally {
        p.stop();
      }
    });

  group
    .command("keygen")
    .description("generate a snapshot signing key pair")
    .requiredOption("-o, --out <prefix>", "writes <prefix>.key.<ext> (private) and <prefix>.pub.<ext>")
    .option("--alg <alg>", "ES256 or EdDSA", "EdDSA")
    .option("--format <format>", "pem or jwk", "pem")
    .option("--kid <id>", "key id to put in JWK files")
    .action(async (flags: { out: string; alg: string; format: string; kid?: string }) => {
      if (flags.alg !== "ES256" && flags.alg !== "EdDSA") throw new CapgateError("invalid_input", `--alg must be ES256 or EdDSA, got '${flags.alg}'`);
      if (flags.format !== "pem" && flags.format !== "jwk") throw new CapgateError("invalid_input", `--format must be pem or jwk, got '${flags.format}'`);
      const r = await generateSigningKeys(flags.out, {
        alg: flags.alg as SigningAlg, format: flags.format, ...(flags.kid !== undefined ? { kid: flags.kid } : {}),
      });
      out(`private key: ${r.privateFile}\npublic key: ${r.publicFile}`);
    });
}
