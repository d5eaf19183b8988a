// `sync --follow`: keep the replica current. A pass runs when the primary
// notifies (LISTEN capgate_changes, on a server) and on a polling timer, so
// lost notifications, primary restarts and network breaks cost latency, never
// changes: the watermark, not the notification, decides what to fetch. Any
// failure drops the connections and reconnects with exponential backoff. The
// replica's structure is checked on a schedule; a damaged one is replaced by a
// fresh snapshot.
// The loop itself (followPrimary) also drives `capgate relay`, whose pass
// publishes to NATS instead of writing a replica.
import pg from "pg";
import { applicationName, type Primary } from "../primary/index.js";
import { ReplicaWriter, syncOnce, type SyncResult } from "./sync-once.js";

export const CHANGE_CHANNEL = "capgate_changes";

/** How the change log is watched: shared by `sync --follow` and `capgate relay`. */
export interface PrimaryWatchOptions {
  /** Opens the primary for queries (called again after every failure). */
  connect: () => Promise<Primary>;
  /** A server URL to LISTEN on; without one the follower only polls. */
  listenUrl?: string;
  /** Polling interval (default 1000 ms). */
  pollMs?: number;
  /** Backoff bounds for reconnecting (default 100 ms .. 5000 ms). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  signal: AbortSignal;
  onNote?: (line: string) => void;
}

export interface FollowOptions extends PrimaryWatchOptions {
  replicaPath: string;
  /** PRAGMA quick_check of the replica this often (default 300 000 ms; 0: only when it is opened). */
  integrityCheckMs?: number;
  onPass?: (r: SyncResult) => void;
}

export interface FollowPrimaryOptions extends PrimaryWatchOptions {
  /** One pass over the change log; throwing drops the connections and retries after a backoff. */
  pass: (primary: Primary) => Promise<void>;
  /** Called after a failed pass, before the backoff (to drop state the pass kept). */
  onFailure?: () => void;
}

/** Waits `ms`, or less when `signal` aborts first (also used by the relay and NATS followers). */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Runs until `signal` aborts; resolves then. */
export async function follow(opts: FollowOptions): Promise<void> {
  const writer = new ReplicaWriter(opts.replicaPath);
  const integrityMs = opts.integrityCheckMs ?? 300_000;
  let checkedAt = Date.now();
  /** Checks the replica when due; a damaged one is marked unusable, so the pass replaces it. */
  const checkIntegrity = (): void => {
    if (integrityMs === 0 || Date.now() - checkedAt < integrityMs) return;
    checkedAt = Date.now();
    const problem = writer.checkIntegrity();
    if (problem !== null) opts.onNote?.(`integrity check: ${writer.unusable ?? problem}`);
  };
  try {
    await followPrimary({
      ...opts,
      pass: async (primary) => {
        checkIntegrity();
        const r = await syncOnce(primary, writer, opts.onNote ? { onNote: opts.onNote } : {});
        opts.onPass?.(r);
      },
      onFailure: () => writer.close(),
    });
  } finally {
    writer.close();
  }
}

/** Runs `pass` on every notification and poll tick until `signal` aborts; resolves then. */
export async function followPrimary(opts: FollowPrimaryOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 1000;
  const minBackoff = opts.minBackoffMs ?? 100;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  let backoff = minBackoff;
  while (!opts.signal.aborted) {
    let primary: Primary | undefined;
    let listener: pg.Client | undefined;
    // Wakes the loop below: a notification, a broken listener, the timer or abort.
    let wake: (() => void) | undefined;
    let pending = true;
    let broken: Error | undefined;
    const poke = (): void => {
      pending = true;
      wake?.();
    };
    const onAbort = (): void => wake?.();
    opts.signal.addEventListener("abort", onAbort);
    try {
      primary = await opts.connect();
      if (opts.listenUrl !== undefined) {
        listener = new pg.Client({ connectionString: opts.listenUrl, application_name: applicationName() });
        listener.on("notification", poke);
        listener.on("error", (e) => {
          broken = e;
          poke();
        });
        listener.on("end", () => {
          broken ??= new Error("listen connection closed");
          poke();
        });
        await listener.connect();
        await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
      }
      // LISTEN is in place before the first pass, so no change can fall between them.
      while (!opts.signal.aborted) {
        if (broken) throw broken;
        if (pending) {
          pending = false;
          await opts.pass(primary);
          backoff = minBackoff;
          continue;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            pending = true;
            resolve();
          }, pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    } catch (e) {
      if (opts.signal.aborted) break;
      opts.onNote?.(`sync failed (${(e as Error).message.split("\n")[0]}); reconnecting in ${backoff} ms`);
      opts.onFailure?.();
      await sleep(backoff, opts.signal);
      backoff = Math.min(maxBackoff, backoff * 2);
    } finally {
      opts.signal.removeEventListener("abort", onAbort);
      if (listener) {
        listener.removeAllListeners("notification");
        listener.on("error", () => undefined);
        await listener.end().catch(() => undefined);
      }
      await primary?.close().catch(() => undefined);
    }
  }
}
