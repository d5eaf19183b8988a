// Opening (and, for the relay, creating) the JetStream pieces of one fleet:
// the change stream, the lease bucket, the snapshot and bundle object stores.
// A follower only opens: a missing stream or bucket means no relay has run
// yet, which it reports and retries rather than creating something empty.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { CapgateError } from "../errors.js";
import type { FleetNames } from "./names.js";

const NS_PER_MS = 1_000_000;

/** Long enough to cover a relay restart and a lease takeover many times over. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** How long changes stay in the stream; a follower further behind bootstraps from a snapshot. */
export const STREAM_MAX_AGE_MS = 7 * 24 * 3_600_000;
export const LEASE_TTL_MS = 5_000;

export async function ensureStream(jsm: JetStreamManager, names: FleetNames): Promise<StreamInfo> {
  try {
    const info = await jsm.streams.info(names.stream);
    if (!info.config.subjects?.includes(names.changes)) {
      throw new CapgateError("config_error", `stream ${names.stream} exists but does not hold ${names.changes}; use another --stream`);
    }
    return info;
  } catch (e) {
    if (e instanceof CapgateError) throw e;
    if (!/not found/i.test((e as Error).message)) throw e;
  }
  return jsm.streams.add({
    name: names.stream,
    subjects: [names.changes],
    duplicate_window: DUPLICATE_WINDOW_MS * NS_PER_MS,
    max_age: STREAM_MAX_AGE_MS * NS_PER_MS,
  });
}

/** The stream's info, or undefined when there is no such stream (yet). */
export async function streamInfo(jsm: JetStreamManager, stream: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(stream);
  } catch (e) {
    if (/not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

export const leaseBucket = (nc: NatsConnection, names: FleetNames): Promise<KV> =>
  new Kvm(nc).create(names.leaseBucket, { ttl: LEASE_TTL_MS, history: 1 });

export async function objectStore(nc: NatsConnection, bucket: string, create: boolean): Promise<ObjectStore | undefined> {
  const objm = new Objm(nc);
  if (create) return objm.create(bucket);
  try {
    return await objm.open(bucket);
  } catch (e) {
    if (/not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

export { jetstreamManager };
