// `capgate relay`: one per primary (two for availability). While it holds the
// lease it follows the primary's change log with the same loop as
// `sync --follow` and publishes to JetStream (publisher.ts); otherwise it
// waits, trying for the lease every second. Answers snapshot requests on the
// fleet's request subject. Never ends on an error: it reconnects and retries.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import { openPrimary, type Primary } from "../primary/index.js";
import type { LoadedKey } from "../snapshot/index.js";
import { followPrimary, sleep } from "../sync/index.js";
import {
  connectNats, createRelayMetrics, encodeJson, ensureStream, fleetNames, jetstreamManager, leaseBucket, objectStore, type RelayMetrics,
} from "../fleet/index.js";
import { Lease, RENEW_EVERY_MS } from "./lease.js";
import { ChangePublisher } from "./publisher.js";

export interface RelayOptions {
  databaseUrl: string;
  natsUrl: string;
  stream?: string;
  snapshotEveryMs: number;
  signKey?: LoadedKey;
  pollMs?: number;
  /**
   * At least this long between the starts of two passes (default 100 ms).
   * Changes committed meanwhile are published together, and each follower's
   * consumer then receives them in one burst: a NATS server spends about half
   * the CPU per delivery on bursts of 20 that it spends on bursts of 4, and the
   * followers less too. Costs up to this much lag.
   */
  passGapMs?: number;
  relayId?: string;
  metrics?: RelayMetrics;
  signal: AbortSignal;
  onNote?: (line: string) => void;
}

const DEFAULT_PASS_GAP_MS = 100;

/** Runs until `signal` aborts; resolves then, having released the lease. */
export async function runRelay(opts: RelayOptions): Promise<void> {
  const names = fleetNames(opts.stream);
  const note = opts.onNote ?? (() => undefined);
  const relayId = opts.relayId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 4)}`;
  const metrics = opts.metrics ?? createRelayMetrics();
  const nc: NatsConnection = await connectNats(opts.natsUrl, { name: `capgate-relay ${relayId}`, persistent: true });
  try {
    let setup;
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc);
        await ensureStream(jsm, names);
        setup = { jsm, kv: await leaseBucket(nc, names), snapshots: (await objectStore(nc, names.snapshotBucket, true))! };
        break;
      } catch (e) {
        if (opts.signal.aborted) return;
        note(`cannot set up stream ${names.stream} (${(e as Error).message}); retrying`);
        await sleep(2000, opts.signal);
      }
    }
    const publisher = new ChangePublisher({
      nc, jsm: setup.jsm, names, snapshots: setup.snapshots, relayId, snapshotEveryMs: opts.snapshotEveryMs, metrics, onNote: note,
      ...(opts.signKey ? { signKey: opts.signKey } : {}),
    });
    const lease = new Lease(setup.kv, relayId);
    const requests = nc.subscribe(names.snapshotRequest, {
      callback: (_err, msg) => {
        if (!lease.held) return;
        publisher.requestSnapshot();
        msg.respond(encodeJson({ relay: relayId, queued: true }));
      },
    });
    try {
      note(`relay ${relayId} on stream ${names.stream}: waiting for the lease`);
      while (!opts.signal.aborted) {
        if (!(await lease.tryAcquire())) {
          await sleep(1000, opts.signal);
          continue;
        }
        note(`relay ${relayId} holds the lease: publishing`);
        metrics.leader.set(1);
        await lead(opts, lease, publisher, note);
        metrics.leader.set(0);
        publisher.reset();
        if (!opts.signal.aborted) note(`relay ${relayId} lost the lease: waiting`);
      }
      await lease.release();
    } finally {
      requests.unsubscribe();
    }
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

/** Publishes while the lease holds; returns when it is lost or the relay stops. */
async function lead(opts: RelayOptions, lease: Lease, publisher: ChangePublisher, note: (l: string) => void): Promise<void> {
  const leading = new AbortController();
  const stop = (): void => leading.abort();
  opts.signal.addEventListener("abort", stop, { once: true });
  const renew = setInterval(() => {
    void lease.renew().then((ok) => {
      if (!ok) stop();
    });
  }, RENEW_EVERY_MS);
  try {
    const gap = opts.passGapMs ?? DEFAULT_PASS_GAP_MS;
    let lastPass = 0;
    // The wait comes before the pass, so the pass covers everything committed during it.
    const paced = async (primary: Primary): Promise<void> => {
      const wait = lastPass + gap - Date.now();
      if (wait > 0) await sleep(wait, leading.signal);
      lastPass = Date.now();
      await publisher.pass(primary);
    };
    await followPrimary({
      // Two connections at most: one for queries, one to LISTEN.
      connect: () => openPrimary({ databaseUrl: opts.databaseUrl, maxConnections: 1 }),
      listenUrl: opts.databaseUrl,
      pollMs: opts.pollMs ?? 1000,
      signal: leading.signal,
      onNote: note,
      pass: (primary) => paced(primary),
      onFailure: () => publisher.reset(),
    });
  } finally {
    clearInterval(renew);
    opts.signal.removeEventListener("abort", stop);
  }
}
