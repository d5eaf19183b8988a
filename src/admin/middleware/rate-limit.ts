// Counts failed authentications per source address in a fixed window; a
// source over the limit is refused (429) before its credential is looked at,
// which is what makes guessing tokens slow. Memory stays bounded: expired
// windows are dropped whenever the table grows.
import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";

export interface FailureLimiter {
  /** Seconds until the source may try again, or 0 when it may now. */
  retryAfter(source: string): number;
  fail(source: string): void;
}

export function failureLimiter(opts: { limit: number; windowMs: number; now?: () => number }): FailureLimiter {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  const prune = (t: number): void => {
    for (const [k, w] of windows) if (t - w.start >= opts.windowMs) windows.delete(k);
  };
  return {
    retryAfter(source) {
      const w = windows.get(source);
      const t = now();
      if (w === undefined || t - w.start >= opts.windowMs || w.count < opts.limit) return 0;
      return Math.max(1, Math.ceil((w.start + opts.windowMs - t) / 1000));
    },
    fail(source) {
      const t = now();
      const w = windows.get(source);
      if (w === undefined || t - w.start >= opts.windowMs) {
        if (windows.size >= 10_000) prune(t);
        windows.set(source, { start: t, count: 1 });
      } else w.count++;
    },
  };
}

/** The peer's address; "unknown" when the app is called without a socket (in-process). */
export function sourceOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
