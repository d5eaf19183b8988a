// `capgate sync [--follow]` and `capgate sync prune --keep DURATION`: bring a
// replica up to date from the primary's change log, or trim that log.
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { addPrimaryOptions, openPrimary, primaryOptionsFromFlags, withPrimary, type PrimaryFlags } from "../../primary/index.js";
import { follow, parseDuration, pruneChangeLog, ReplicaWriter, syncOnce, type SyncResult } from "../../sync/index.js";

const err = (line: string): void => {
  process.stderr.write(line + "\n");
};

function describe(replica: string, r: SyncResult): string {
  if (r.snapshotReason !== undefined) return `${replica}: replaced by a fresh snapshot, watermark ${r.watermark}`;
  return `${replica}: applied ${r.applied} change${r.applied === 1 ? "" : "s"}, watermark ${r.watermark}`;
}

export function registerSync(program: Command): void {
  const group = addPrimaryOptions(program.command("sync"))
    .description("apply the primary's changes since the replica's watermark (--follow: keep doing so)")
    .option("--replica <path>", "replica file to update")
    .option("--follow", "keep following the change feed (LISTEN/NOTIFY plus polling)")
    .option("--poll-interval <ms>", "polling interval in follow mode", "1000")
    .action(async (flags: PrimaryFlags & { replica?: string; follow?: boolean; pollInterval: string }) => {
      if (flags.replica === undefined) throw new CapgateError("invalid_input", "--replica <path> is required");
      const replica = flags.replica;
      const pollMs = Number(flags.pollInterval);
      if (!Number.isInteger(pollMs) || pollMs < 10) throw new CapgateError("invalid_input", `--poll-interval must be an integer >= 10 (ms), got '${flags.pollInterval}'`);
      const options = primaryOptionsFromFlags(flags);
      if (!flags.follow) {
        const writer = new ReplicaWriter(replica);
        try {
          await withPrimary(options, async (primary) => {
            process.stdout.write(describe(replica, await syncOnce(primary, writer, { onNote: err })) + "\n");
          });
        } finally {
          writer.close();
        }
        return;
      }
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      err(`following ${options.databaseUrl !== undefined ? "the primary" : "the embedded primary (polling only)"} into ${replica}`);
      await follow({
        connect: () => openPrimary({ ...options, maxConnections: 1 }),
        ...(options.databaseUrl !== undefined ? { listenUrl: options.databaseUrl } : {}),
        replicaPath: replica,
        pollMs,
        signal: ac.signal,
        onNote: err,
        onPass: (r) => {
          if (r.applied > 0 || r.snapshotReason !== undefined) process.stdout.write(describe(replica, r) + "\n");
        },
      });
    });

  addPrimaryOptions(group.command("prune"))
    .description("delete change-log rows older than DURATION from the primary")
    .requiredOption("--keep <duration>", "how much history to keep, e.g. 7d, 24h, 30m")
    .action(async (flags: PrimaryFlags & { keep: string }) => {
      const keepMs = parseDuration(flags.keep);
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        const r = await pruneChangeLog(primary, { keepMs });
        process.stdout.write(`${primary.location}: pruned ${r.deleted} change-log rows; log now starts after ${r.prunedThrough}\n`);
      });
    });
}
