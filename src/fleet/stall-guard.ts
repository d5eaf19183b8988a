// A deadline that moves with progress, for a follower's snapshot download. An
// object-store read is a consumer on the object's chunks: when the relay replaces
// the snapshot while a follower is between reading its description and reading
// its chunks, the read can wait for chunks that are gone, and nothing ends it.
// (CI saw 16 of 20 followers stop at "bootstrapping" after the relay published a
// second snapshot on request.) Abandoning a read that makes no progress hands the
// follower back to its retry loop, which reads the newest snapshot afresh.
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CapgateError } from "../errors.js";

/** How long a snapshot read may go without receiving anything. */
export const SNAPSHOT_STALL_MS = 15_000;

export interface StallGuard {
  /** Aborted, with a one-line `snapshot_error`, when no progress came for `ms`. */
  readonly signal: AbortSignal;
  /** Something arrived: the deadline starts again. */
  progress(): void;
  /** Races a step against the guard, so a step that never settles is abandoned too. */
  step<T>(p: Promise<T>): Promise<T>;
  /** The read is over (done or failed): the timer goes. */
  done(): void;
}

export function stallGuard(what: string, ms: number = SNAPSHOT_STALL_MS): StallGuard {
  const ctl = new AbortController();
  const timer = setTimeout(() => {
    ctl.abort(new CapgateError("snapshot_error", `${what}: nothing received for ${ms / 1000} s (replaced while it was read?); abandoned`));
  }, ms);
  timer.unref();
  const aborted = new Promise<never>((_, reject) => {
    ctl.signal.addEventListener("abort", () => reject(ctl.signal.reason as Error), { once: true });
  });
  aborted.catch(() => undefined);
  return {
    signal: ctl.signal,
    progress: () => {
      if (!ctl.signal.aborted) timer.refresh();
    },
    step: (p) => Promise.race([p, aborted]),
    done: () => clearTimeout(timer),
  };
}

/** Pipes `source` into `dest`, each chunk moving the guard's deadline; a stall rejects with the guard's error. */
export async function guardedPipe(source: Readable, dest: Writable, guard: StallGuard): Promise<void> {
  const tick = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      guard.progress();
      yield chunk;
    }
  };
  await pipeline(source, tick, dest, { signal: guard.signal }).catch((e: unknown) => {
    throw guard.signal.aborted ? (guard.signal.reason as Error) : e;
  });
}
