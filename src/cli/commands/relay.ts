// `capgate relay`: follow the primary's change log and distribute it over NATS
// JetStream to a fleet of sidecars; `capgate relay snapshot`: ask the leading
// relay for a snapshot now.
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { connectNats, createRelayMetrics, DEFAULT_STREAM, fleetNames, serveMetrics } from "../../fleet/index.js";
import { runRelay } from "../../relay/index.js";
import { loadSigningKey } from "../../snapshot/index.js";
import { parseDuration } from "../../sync/index.js";

const err = (line: string): void => {
  process.stderr.write(line + "\n");
};

function port(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CapgateError("invalid_input", `${flag} must be a port number (0-65535), got '${text}'`);
  return n;
}

export function registerRelay(program: Command): void {
  const group = program
    .command("relay")
    .description("publish the primary's changes, snapshots and a heartbeat to NATS JetStream for a fleet of sidecars")
    .option("--database-url <url>", "PostgreSQL primary (default: $DATABASE_URL)")
    .option("--nats <url>", "NATS server(s), e.g. nats://127.0.0.1:4222")
    .option("--stream <name>", "JetStream stream (and prefix of the fleet's buckets and subjects)", DEFAULT_STREAM)
    .option("--snapshot-every <duration>", "publish a snapshot this often (e.g. 15m, 1h)", "15m")
    .option("--sign-key <file>", "sign snapshots with this ES256 or EdDSA private key (PEM or JWK), as snapshot export does")
    .option("--poll-interval <ms>", "polling interval besides LISTEN/NOTIFY", "1000")
    .option("--pass-gap <ms>", "at least this long between passes: changes committed meanwhile reach followers in one burst (cheaper for NATS and followers, up to this much lag)", "100")
    .option("--metrics-port <port>", "serve Prometheus metrics at http://127.0.0.1:PORT/metrics")
    .action(async (flags: { databaseUrl?: string; nats?: string; stream: string; snapshotEvery: string; signKey?: string; pollInterval: string; passGap: string; metricsPort?: string }) => {
      const databaseUrl = flags.databaseUrl ?? process.env["DATABASE_URL"];
      if (databaseUrl === undefined || databaseUrl === "") throw new CapgateError("invalid_input", "--database-url <url> (or $DATABASE_URL) is required: a relay follows a PostgreSQL primary");
      if (flags.nats === undefined) throw new CapgateError("invalid_input", "--nats <url> is required");
      fleetNames(flags.stream);
      const snapshotEveryMs = parseDuration(flags.snapshotEvery);
      if (snapshotEveryMs < 1000) throw new CapgateError("invalid_input", `--snapshot-every must be at least 1s, got '${flags.snapshotEvery}'`);
      const pollMs = Number(flags.pollInterval);
      if (!Number.isInteger(pollMs) || pollMs < 10) throw new CapgateError("invalid_input", `--poll-interval must be an integer >= 10 (ms), got '${flags.pollInterval}'`);
      const passGapMs = Number(flags.passGap);
      if (!Number.isInteger(passGapMs) || passGapMs < 0) throw new CapgateError("invalid_input", `--pass-gap must be an integer >= 0 (ms), got '${flags.passGap}'`);
      const signKey = flags.signKey !== undefined ? loadSigningKey(flags.signKey) : undefined;
      const metrics = createRelayMetrics();
      const server = flags.metricsPort !== undefined ? await serveMetrics(metrics.registry, port("--metrics-port", flags.metricsPort)) : undefined;
      if (server) err(`metrics at http://127.0.0.1:${server.port}/metrics`);
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        await runRelay({
          databaseUrl, natsUrl: flags.nats, stream: flags.stream, snapshotEveryMs, pollMs, passGapMs, metrics, signal: ac.signal, onNote: err,
          ...(signKey ? { signKey } : {}),
        });
      } finally {
        await server?.close();
      }
    });

  group
    .command("snapshot")
    .description("ask the leading relay to publish a snapshot now")
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<{ nats?: string; stream: string }>();
      if (flags.nats === undefined) throw new CapgateError("invalid_input", "--nats <url> is required");
      const names = fleetNames(flags.stream);
      const nc = await connectNats(flags.nats, { name: "capgate relay snapshot" });
      try {
        const reply = await nc.request(names.snapshotRequest, new Uint8Array(), { timeout: 5000 }).catch(() => {
          throw new CapgateError("sync_error", `no relay answered on ${names.snapshotRequest}: is one leading stream ${names.stream}?`);
        });
        process.stdout.write(`snapshot requested: ${reply.string()}\n`);
      } finally {
        await nc.close();
      }
    });
}
