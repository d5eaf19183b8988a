// The NATS side of one sidecar (`serve` with `sync.nats_url`): a follower
// keeping the configured replica from the relay's stream, its metrics in the
// sidecar's registry. The server's file watcher loads each replica a
// bootstrap swaps in; staleness keeps working from the replica's
// confirmed-current time, which only the relay's heartbeat moves.
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { loadVerifyKey } from "../snapshot/index.js";
import { NatsFollower } from "./follower.js";
import { createFollowerMetrics } from "./metrics.js";

export interface SidecarSyncSettings {
  nats_url: string;
  stream: string;
  key_file?: string | undefined;
}

export interface SidecarFleet {
  follower: NatsFollower;
  close(): Promise<void>;
}

/** Starts following; a bad key file throws now (start-up config error), NATS trouble only logs. */
export function startSidecarSync(opts: { sync: SidecarSyncSettings; replica: string; registry: Registry; log: Logger; id?: string }): SidecarFleet {
  const key = opts.sync.key_file !== undefined ? loadVerifyKey(opts.sync.key_file) : undefined;
  const ac = new AbortController();
  const follower = new NatsFollower({
    natsUrl: opts.sync.nats_url,
    stream: opts.sync.stream,
    replicaPath: opts.replica,
    signal: ac.signal,
    metrics: createFollowerMetrics(opts.registry),
    ...(key ? { key } : {}),
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    onNote: (line) => opts.log.warn({ nats: opts.sync.nats_url, stream: opts.sync.stream }, line),
    onBootstrap: (snapshot, seq) => opts.log.info({ snapshot, stream_seq: seq }, "replica bootstrapped from the fleet's snapshot"),
  });
  const done = follower.run().catch((e: unknown) => opts.log.error({ err: (e as Error).message }, "NATS follower stopped"));
  return {
    follower,
    async close() {
      ac.abort();
      await done;
    },
  };
}
