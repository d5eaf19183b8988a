// The NATS side of one sidecar (`serve` with `sync.nats_url`): a follower
// keeping the configured replica from the relay's stream, its metrics in the
// sidecar's registry, and with `bundle_source: nats` a watcher of the fleet's
// bundle object. The server's file watcher loads each replica a bootstrap
// swaps in; staleness keeps working from the replica's confirmed-current
// time, which only the relay's heartbeat moves.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { loadVerifyKey } from "../snapshot/index.js";
import { watchBundles } from "./bundles.js";
import { connectNats } from "./connect.js";
import { NatsFollower } from "./follower.js";
import { createFollowerMetrics } from "./metrics.js";
import { fleetNames } from "./names.js";

export interface SidecarSyncSettings {
  nats_url: string;
  stream: string;
  key_file?: string | undefined;
}

export interface SidecarFleetOptions {
  sync: SidecarSyncSettings;
  replica: string;
  registry: Registry;
  log: Logger;
  /** With `bundle_source: nats`: loads a bundle file the way the server loads its own (throws to refuse it). */
  loadBundle?: ((path: string) => Promise<void>) | undefined;
}

export interface SidecarFleet {
  close(): Promise<void>;
}

/** Starts following; a bad key file throws now (a start-up config error), NATS trouble is only logged. */
export function startSidecarSync(opts: SidecarFleetOptions): SidecarFleet {
  const key = opts.sync.key_file !== undefined ? loadVerifyKey(opts.sync.key_file) : undefined;
  const names = fleetNames(opts.sync.stream);
  const ac = new AbortController();
  const note = (line: string): void => opts.log.warn({ nats: opts.sync.nats_url, stream: names.stream }, line);
  const run = async (): Promise<void> => {
    const nc: NatsConnection = await connectNats(opts.sync.nats_url, { name: `capgate-sidecar ${opts.replica}`, persistent: true });
    try {
      const follower = new NatsFollower({
        natsUrl: opts.sync.nats_url,
        nc,
        stream: names.stream,
        replicaPath: opts.replica,
        signal: ac.signal,
        metrics: createFollowerMetrics(opts.registry),
        ...(key ? { key } : {}),
        onNote: note,
        onBootstrap: (snapshot, seq) => opts.log.info({ snapshot, stream_seq: seq }, "replica bootstrapped from the fleet's snapshot"),
      });
      const tasks = [follower.run()];
      if (opts.loadBundle !== undefined) {
        tasks.push(watchBundles({ nc, names, path: `${opts.replica}.nats-bundle.tar.gz`, load: opts.loadBundle, signal: ac.signal, onNote: note }));
      }
      await Promise.all(tasks);
    } finally {
      await nc.drain().catch(() => nc.close());
    }
  };
  const done = run().catch((e: unknown) => opts.log.error({ err: (e as Error).message }, "NATS follower stopped"));
  return {
    async close() {
      ac.abort();
      // A sidecar that never reached NATS has nothing to drain: do not wait on the first connect.
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
