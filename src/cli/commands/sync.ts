// `capgate sync [--follow]` and `capgate sync prune --keep DURATION`: bring a
// replica up to date from the primary's change log, or trim that log.
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { addPrimaryOptions, openPrimary, primaryOptionsFromFlags, withPrimary, type PrimaryFlags } from "../../primary/index.js";
import { follow, parseDuration, pruneChangeLog, ReplicaWriter, syncOnce, type SyncResult } from "../../sync/index.js";
import { createFollowerMetrics, DEFAULT_STREAM, fleetNames, followNats, serveMetrics } from "../../fleet/index.js";
import { loadVerifyKey } from "../../snapshot/index.js";

const err = (line: string): void => {
  process.stderr.write(line + "\n");
};

function describe(replica: string, r: SyncResult): string {
  if (r.snapshotReason !== undefined) return `${replica}: replaced by a fresh snapshot, watermark ${r.watermark}`;
  return `${replica}: applied ${r.applied} change${r.applied === 1 ? "" : "s"}, watermark ${r.watermark}`;
}

interface NatsFlags {
  nats?: string;
  stream: string;
  key?: string;
  metricsPort?: string;
}

async function followOverNats(replica: string, flags: NatsFlags): Promise<void> {
  fleetNames(flags.stream);
  const key = flags.key !== undefined ? loadVerifyKey(flags.key) : undefined;
  const metrics = createFollowerMetrics();
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (flags.metricsPort !== undefined) {
    const port = Number(flags.metricsPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CapgateError("invalid_input", `--metrics-port must be a port number, got '${flags.metricsPort}'`);
    server = await serveMetrics(metrics.registry, port);
    err(`metrics at http://127.0.0.1:${server.port}/metrics`);
  }
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  err(`following stream ${flags.stream} on ${flags.nats} into ${replica}`);
  try {
    await followNats({
      natsUrl: flags.nats!, stream: flags.stream, replicaPath: replica, signal: ac.signal, metrics, onNote: err,
      ...(key ? { key } : {}),
      onBootstrap: (id, seq) => process.stdout.write(`${replica}: bootstrapped from snapshot ${id}, stream sequence ${seq}\n`),
    });
  } finally {
    await server?.close();
  }
}

export function registerSync(program: Command): void {
  const group = addPrimaryOptions(program.command("sync"))
    .description("apply the primary's changes since the replica's watermark (--follow: keep doing so)")
    .option("--replica <path>", "replica file to update")
    .option("--follow", "keep following the change feed (LISTEN/NOTIFY plus polling)")
    .option("--poll-interval <ms>", "polling interval in follow mode", "1000")
    .option("--integrity-check <seconds>", "follow mode: PRAGMA quick_check of the replica this often, replacing a damaged one by a fresh snapshot (0: only when opened)", "300")
    .option("--nats <url>", "with --follow: follow a relay over NATS JetStream instead of the primary")
    .option("--stream <name>", "with --nats: the relay's stream", DEFAULT_STREAM)
    .option("--key <file>", "with --nats: public key snapshots must be signed with (unsigned ones are then refused)")
    .option("--metrics-port <port>", "with --nats: serve Prometheus metrics at http://127.0.0.1:PORT/metrics")
    .action(async (flags: PrimaryFlags & NatsFlags & { replica?: string; follow?: boolean; pollInterval: string; integrityCheck: string }) => {
      if (flags.replica === undefined) throw new CapgateError("invalid_input", "--replica <path> is required");
      const replica = flags.replica;
      if (flags.nats !== undefined) {
        if (!flags.follow) throw new CapgateError("invalid_input", "--nats needs --follow (a NATS follower keeps running)");
        await followOverNats(replica, flags);
        return;
      }
      const pollMs = Number(flags.pollInterval);
      if (!Number.isInteger(pollMs) || pollMs < 10) throw new CapgateError("invalid_input", `--poll-interval must be an integer >= 10 (ms), got '${flags.pollInterval}'`);
      const integritySeconds = Number(flags.integrityCheck);
      if (!/^\d+$/.test(flags.integrityCheck) || integritySeconds > 86_400)
        throw new CapgateError("invalid_input", `--integrity-check must be an integer from 0 to 86400 (seconds), got '${flags.integrityCheck}'`);
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
        integrityCheckMs: integritySeconds * 1000,
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
    .action(async (_flags: unknown, cmd: Command) => {
      // The primary options may be written before or after "prune": commander gives them to either command.
      const flags = cmd.optsWithGlobals<PrimaryFlags & { keep: string }>();
      const keepMs = parseDuration(flags.keep);
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        const r = await pruneChangeLog(primary, { keepMs });
        process.stdout.write(`${primary.location}: pruned ${r.deleted} change-log rows; log now starts after ${r.prunedThrough}\n`);
      });
    });
}
