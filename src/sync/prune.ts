// `sync prune`: removes change-log rows older than a retention period and
// records how far it pruned, so a follower that falls behind that point
// knows it must take a snapshot instead of silently missing changes.
import { CapgateError } from "../errors.js";
import type { Primary } from "../primary/index.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses "90s", "30m", "24h", "7d", "2w", "1h30m" into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(s)) {
    throw new CapgateError("invalid_input", `duration ${JSON.stringify(text)} is not like 30s, 15m, 24h, 7d or 1h30m`);
  }
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNITS[m[2]!]!;
  return total;
}

export async function pruneChangeLog(primary: Primary, opts: { keepMs: number }): Promise<{ deleted: number; prunedThrough: number }> {
  if (!Number.isFinite(opts.keepMs) || opts.keepMs < 0) throw new CapgateError("invalid_input", `keep must be a non-negative duration`);
  return primary.transaction(async (tx) => {
    const log = await tx.query<{ t: string | null }>("SELECT to_regclass('capgate_change_log')::text AS t");
    if (log.rows[0]?.t == null) throw new CapgateError("sync_error", "primary has no change log: run `capgate migrate up` (migration 5)");
    const r = await tx.query<{ n: number | string; m: number | string | null }>(
      // Cut at a sequence number so what stays is always one contiguous tail of the log.
      `WITH d AS (DELETE FROM capgate_change_log WHERE seq <= (
           SELECT max(seq) FROM capgate_change_log WHERE changed_at < now() - make_interval(secs => $1::double precision / 1000))
         RETURNING seq)
       SELECT count(*) AS n, max(seq) AS m FROM d`,
      [opts.keepMs],
    );
    const deleted = Number(r.rows[0]!.n);
    const s = await tx.query<{ p: number | string }>(
      "UPDATE capgate_change_log_state SET pruned_through = greatest(pruned_through, $1), pruned_at = now() RETURNING pruned_through AS p",
      [r.rows[0]!.m === null ? 0 : Number(r.rows[0]!.m)],
    );
    return { deleted, prunedThrough: Number(s.rows[0]!.p) };
  });
}
