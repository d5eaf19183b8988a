// TOTP bookkeeping on the primary (totp_verification_state, migration 000007),
// one row per (tenant, user) shared by every sidecar. A verification reserves
// an attempt before its code is checked and settles it afterwards; each step is
// one conditional statement on that row, so the primary's row lock orders
// concurrent attempts from any number of sidecars. Times come from the
// caller's clock, not the database's, so one clock governs a verification end
// to end.
import { CapgateError } from "../errors.js";
import type { Queryable } from "../primary/index.js";

/** Whose attempts: a lockout, a used step or a failure never crosses tenants. */
export interface TotpSubject {
  tenantId: string;
  userId: string;
}

export interface LockoutRules {
  threshold: number;
  lockoutSeconds: number;
}

export interface Lockout {
  failures: number;
  /** Epoch milliseconds until which the user is locked out, or null. */
  lockedUntilMs: number | null;
}

export type Reservation =
  /** The attempt may check one code; `seq` numbers it among the subject's attempts. */
  | { granted: true; seq: number }
  /** Locked out, or the attempts already reserved use up the budget. */
  | { granted: false; lockout: Lockout };

export interface TotpStore {
  /** The highest time step accepted for the subject so far, or null. */
  lastStep(subject: TotpSubject): Promise<number | null>;
  /** Reserves one code check, unless locked out or failures plus unsettled attempts reach the threshold. */
  reserve(subject: TotpSubject, nowMs: number, rules: LockoutRules): Promise<Reservation>;
  /**
   * Settles a reservation whose code matched `timeStep`: accepted (true) only
   * when the step is newer than every step used before. A replay (false) is
   * refused without counting as a failure.
   */
  settleMatch(subject: TotpSubject, seq: number, timeStep: number, nowMs: number): Promise<boolean>;
  /** Settles a reservation whose code was wrong: one more consecutive failure, maybe a lockout. */
  settleFailure(subject: TotpSubject, nowMs: number, rules: LockoutRules): Promise<Lockout>;
  /** Settles a reservation whose code could not be checked (the stored secret's fault): nothing counted. */
  release(subject: TotpSubject, nowMs: number): Promise<void>;
}

/**
 * How long a reservation holds its place in the budget when nobody settles it
 * (its sidecar died mid-check). A check takes milliseconds; this only bounds
 * how long a crash can shrink a user's budget.
 */
const RESERVATION_SECONDS = 60;

type LockoutRow = { n: number; until_ms: number | null };

const LOCKOUT_COLUMNS = `consecutive_failures AS n, (extract(epoch FROM locked_until) * 1000)::float8 AS until_ms`;

// An expired lockout starts a fresh count, and reservations past their expiry
// are left behind by dead sidecars: both are read through these expressions.
const FAILURES_NOW = `CASE WHEN s.locked_until <= EXCLUDED.updated_at THEN 0 ELSE s.consecutive_failures END`;
const IN_FLIGHT_NOW = `CASE WHEN s.in_flight_until > EXCLUDED.updated_at THEN s.in_flight ELSE 0 END`;

// The WHERE of ON CONFLICT DO UPDATE is evaluated on the row as locked, after
// any concurrent reservation committed, so two reservations can never both
// take the last place. No row returned: refused.
const RESERVE = `
  INSERT INTO totp_verification_state AS s
         (tenant_id, user_id, in_flight, in_flight_until, attempt_seq, updated_at)
  VALUES ($1, $2, 1, $3::timestamptz + make_interval(secs => ${RESERVATION_SECONDS}), 1, $3::timestamptz)
  ON CONFLICT (tenant_id, user_id) DO UPDATE SET
    consecutive_failures = ${FAILURES_NOW},
    locked_until = CASE WHEN s.locked_until <= EXCLUDED.updated_at THEN NULL ELSE s.locked_until END,
    in_flight = ${IN_FLIGHT_NOW} + 1,
    in_flight_until = EXCLUDED.in_flight_until,
    attempt_seq = s.attempt_seq + 1,
    updated_at = EXCLUDED.updated_at
  WHERE (s.locked_until IS NULL OR s.locked_until <= EXCLUDED.updated_at)
    AND ${FAILURES_NOW} + ${IN_FLIGHT_NOW} < $4::int
  RETURNING attempt_seq::float8 AS seq`;

const READ_LAST_STEP = `SELECT last_step::float8 AS step FROM totp_verification_state WHERE tenant_id = $1 AND user_id = $2`;

const READ_LOCKOUT = `SELECT ${LOCKOUT_COLUMNS} FROM totp_verification_state WHERE tenant_id = $1 AND user_id = $2`;

// A success resets the failure count only when no attempt was reserved after
// it: failures of attempts racing it stay counted, so a success inside a burst
// cannot hand the burst a fresh budget. The step is taken only when newer
// than the last; last_step_seq says whether this attempt was the one that took it.
const SETTLE_MATCH = `
  UPDATE totp_verification_state SET
    in_flight = greatest(in_flight - 1, 0),
    consecutive_failures = CASE WHEN (last_step IS NULL OR last_step < $4) AND attempt_seq = $3 THEN 0 ELSE consecutive_failures END,
    last_step_seq = CASE WHEN last_step IS NULL OR last_step < $4 THEN $3 ELSE last_step_seq END,
    last_step = greatest(last_step, $4),
    updated_at = $5::timestamptz
  WHERE tenant_id = $1 AND user_id = $2
  RETURNING last_step_seq = $3 AND last_step = $4 AS accepted`;

const SETTLE_FAILURE = `
  UPDATE totp_verification_state SET
    in_flight = greatest(in_flight - 1, 0),
    consecutive_failures = consecutive_failures + 1,
    locked_until = CASE WHEN consecutive_failures + 1 >= $4::int AND (locked_until IS NULL OR locked_until <= $3::timestamptz)
                        THEN $3::timestamptz + make_interval(secs => $5::float8) ELSE locked_until END,
    updated_at = $3::timestamptz
  WHERE tenant_id = $1 AND user_id = $2
  RETURNING ${LOCKOUT_COLUMNS}`;

const RELEASE = `
  UPDATE totp_verification_state SET in_flight = greatest(in_flight - 1, 0), updated_at = $3::timestamptz
  WHERE tenant_id = $1 AND user_id = $2`;

export function primaryTotpStore(db: Queryable): TotpStore {
  const run = async <R extends Record<string, unknown>>(what: string, text: string, params: unknown[]): Promise<R[]> => {
    try {
      return (await db.query<R>(text, params)).rows;
    } catch (e) {
      throw new CapgateError("database_error", `TOTP ${what} failed on the primary: ${(e as Error).message}`, { cause: e });
    }
  };
  const toLockout = (row: LockoutRow | undefined): Lockout => ({ failures: row?.n ?? 0, lockedUntilMs: row?.until_ms ?? null });
  const at = (nowMs: number): string => new Date(nowMs).toISOString();
  return {
    async lastStep({ tenantId, userId }) {
      return (await run<{ step: number | null }>("step lookup", READ_LAST_STEP, [tenantId, userId]))[0]?.step ?? null;
    },
    async reserve({ tenantId, userId }, nowMs, rules) {
      const granted = await run<{ seq: number }>("attempt reservation", RESERVE, [tenantId, userId, at(nowMs), rules.threshold]);
      if (granted[0] !== undefined) return { granted: true, seq: granted[0].seq };
      return { granted: false, lockout: toLockout((await run<LockoutRow>("lockout lookup", READ_LOCKOUT, [tenantId, userId]))[0]) };
    },
    async settleMatch({ tenantId, userId }, seq, timeStep, nowMs) {
      const rows = await run<{ accepted: boolean }>("step record", SETTLE_MATCH, [tenantId, userId, seq, timeStep, at(nowMs)]);
      return rows[0]?.accepted === true;
    },
    async settleFailure({ tenantId, userId }, nowMs, rules) {
      const rows = await run<LockoutRow>("failure record", SETTLE_FAILURE, [tenantId, userId, at(nowMs), rules.threshold, rules.lockoutSeconds]);
      return toLockout(rows[0]);
    },
    async release({ tenantId, userId }, nowMs) {
      await run("attempt release", RELEASE, [tenantId, userId, at(nowMs)]);
    },
  };
}
