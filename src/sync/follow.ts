// `sync --follow`: keep the replica current. A pass runs when the primary
// notifies (LISTEN capgate_changes, on a server) and on a polling timer, so
// lost notifications, primary restarts and network breaks cost latency, never
// changes: the watermark, not the notification, decides what to fetch. Any
// failure drops the connections and reconnects with exponential backoff.
import pg from "pg";
import type { Primary } from "../primary/index.js";
import { ReplicaWriter, syncOnce, type SyncResult } from "./sync-once.js";

export const CHANGE_CHANNEL = "capgate_changes";

export interface FollowOptions {
  /** Opens the primary for queries (called again after every failure). */
  connect: () => Promise<Primary>;
  /** A server URL to LISTEN on; without one the follower only polls. */
  listenUrl?: string;
  replicaPath: string;
  /** Polling interval (default 1000 ms). */
  pollMs?: number;
  /** Backoff bounds for reconnecting (default 100 ms .. 5000 ms). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  signal: AbortSignal;
  onPass?: (r: SyncResult) => void;
  onNote?: (line: string) => void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
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
  const pollMs = opts.pollMs ?? 1000;
  const minBackoff = opts.minBackoffMs ?? 100;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const writer = new ReplicaWriter(opts.replicaPath);
  let backoff = minBackoff;
  try {
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
          listener = new pg.Client({ connectionString: opts.listenUrl });
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
            const r = await syncOnce(primary, writer, opts.onNote ? { onNote: opts.onNote } : {});
            backoff = minBackoff;
            opts.onPass?.(r);
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
        writer.close();
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
  } finally {
    writer.close();
  }
}
