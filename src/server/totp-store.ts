// TOTP bookkeeping on the primary (tables of migration 000006): used time steps,
// whose primary key makes a code single-use across every sidecar, and the
// consecutive-failure count with its lockout. Times come from the caller's
// clock, not the database's, so one clock governs a verification end to end.
import { CapgateError } from "../errors.js";

/** What both pg.Pool / pg.Client and PGlite offer. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

export interface Lockout {
  failures: number;
  /** Epoch milliseconds until which the user is locked out, or null. */
  lockedUntilMs: number | null;
}

export interface TotpStore {
  lockout(userId: string): Promise<Lockout>;
  /** True when this call recorded the step; false when it was already used (a replay). */
  claimStep(userId: string, timeStep: number, nowMs: number): Promise<boolean>;
  recordFailure(userId: string, nowMs: number, threshold: number, lockoutSeconds: number): Promise<Lockout>;
  clearFailures(userId: string): Promise<void>;
}

export function primaryTotpStore(db: Queryable): TotpStore {
  const run = async <R extends Record<string, unknown>>(what: string, text: string, params: unknown[]): Promise<R[]> => {
    try {
      return (await db.query<R>(text, params)).rows;
    } catch (e) {
      throw new CapgateError("database_error", `TOTP ${what} failed on the primary: ${(e as Error).message}`, { cause: e });
    }
  };
  const toLockout = (row: { n: number; until_ms: number | null } | undefined): Lockout => ({
    failures: row?.n ?? 0,
    lockedUntilMs: row?.until_ms ?? null,
  });
  return {
    async lockout(userId) {
      const rows = await run<{ n: number; until_ms: number | null }>(
        "lockout lookup",
        `SELECT consecutive_failures AS n, (extract(epoch FROM locked_until) * 1000)::float8 AS until_ms
           FROM totp_failures WHERE user_id = $1`,
        [userId],
      );
      return toLockout(rows[0]);
    },
    async claimStep(userId, timeStep, nowMs) {
      const rows = await run<{ ok: number }>(
        "step record",
        `INSERT INTO totp_used_steps (user_id, time_step, used_at) VALUES ($1, $2, $3::timestamptz)
         ON CONFLICT (user_id, time_step) DO NOTHING RETURNING 1 AS ok`,
        [userId, timeStep, new Date(nowMs).toISOString()],
      );
      return rows.length === 1;
    },
    async recordFailure(userId, nowMs, threshold, lockoutSeconds) {
      // One statement so concurrent failures on several sidecars all count; an
      // expired lockout starts a fresh count.
      const rows = await run<{ n: number; until_ms: number | null }>(
        "failure record",
        `WITH now AS (SELECT $2::timestamptz AS t)
         INSERT INTO totp_failures AS f (user_id, consecutive_failures, locked_until, updated_at)
         SELECT $1, 1, CASE WHEN 1 >= $3::int THEN t + make_interval(secs => $4::float8) END, t FROM now
         ON CONFLICT (user_id) DO UPDATE SET
           consecutive_failures = CASE WHEN f.locked_until IS NOT NULL AND f.locked_until <= EXCLUDED.updated_at
                                       THEN 1 ELSE f.consecutive_failures + 1 END,
           locked_until = CASE WHEN (CASE WHEN f.locked_until IS NOT NULL AND f.locked_until <= EXCLUDED.updated_at
                                          THEN 1 ELSE f.consecutive_failures + 1 END) >= $3::int
                               THEN EXCLUDED.updated_at + make_interval(secs => $4::float8) END,
           updated_at = EXCLUDED.updated_at
         RETURNING consecutive_failures AS n, (extract(epoch FROM locked_until) * 1000)::float8 AS until_ms`,
        [userId, new Date(nowMs).toISOString(), threshold, lockoutSeconds],
      );
      return toLockout(rows[0]);
    },
    async clearFailures(userId) {
      await run("failure reset", `DELETE FROM totp_failures WHERE user_id = $1`, [userId]);
    },
  };
}
