// The read path of a serving replica: decisions read through a read view, one
// read transaction kept open for at most VIEW_MS and then ended by a timer, the
// next read opening the next. Outside a transaction every query takes and drops
// the WAL read lock (three system calls, most of a lookup's cost); inside one,
// a lookup is B-tree work only. A view also makes each answer consistent: its
// facts, version and staleness come from one snapshot of the file. What a
// follower writes is seen at most VIEW_MS later, and ending the view lets
// checkpoints go on.
//
// The view answers a tenant's and a user's facts as JSON (policy-facts.ts, the
// stored secrets of src/secrets.ts left in SQLite), the catalog defaults (read
// once per opened replica), and the replica's state: staleness, and the version
// a decision was answered from (the snapshot, and the change-feed watermark a
// follower advances in place).
import type Database from "better-sqlite3";
import { SECRET_KEYS } from "../secrets.js";
import type { Replica } from "./open.js";
import { preparePolicyFacts } from "./policy-facts.js";
import type { ReplicaState } from "./status.js";

export const VIEW_MS = 100;

export interface ReadViewOptions {
  maxStalenessMs: number;
  /** Epoch milliseconds. */
  clock: () => number;
  /**
   * Told the data version each view opens at. It moves on whenever another
   * connection (a follower) commits to the file, so what is kept for one
   * version (a fact cache) is good until it changes.
   */
  onOpen?: (dataVersion: number) => void;
  /** Told a failure to end a view: ending runs from a timer too, so it never throws. */
  onEndFailure?: (e: unknown) => void;
}

export interface ReadView {
  /** The state of the open view, opening one when none is open. Throws what SQLite throws. */
  state(): ReplicaState;
  /** A tenant's facts in the open view (opened by state()), or undefined for an unknown tenant. */
  tenantJson(id: string): string | undefined;
  /** A user's facts in the open view (secrets at the top of a capability's data removed), or undefined. */
  userJson(id: string): string | undefined;
  /** `{key: default_value}` from the capability catalog. */
  readonly defaultsJson: string;
  /** Ends the open view, if any; never throws. */
  end(): void;
}

export function openReadView(replica: Replica, opts: ReadViewOptions): ReadView {
  const db: Database.Database = replica.db;
  const meta = replica.meta();
  const defaults: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(replica.catalog())) defaults[key] = row.defaultValue;
  const queries = preparePolicyFacts(db, SECRET_KEYS);
  const watermark = db.prepare("SELECT value FROM replica_meta WHERE key = 'watermark'").pluck();
  const dataVersion = db.prepare("PRAGMA data_version").pluck();

  const computeState = (): ReplicaState => {
    const s = replica.status({ maxStalenessMs: opts.maxStalenessMs, now: opts.clock() });
    const wm = s.status === "missing" ? undefined : (watermark.get() as string | undefined);
    const version = s.status === "missing" ? null : wm === undefined || wm === "" ? meta.snapshotId : `${meta.snapshotId}@${wm}`;
    return { status: s.status, version, age_seconds: s.age_seconds, ...(s.detail === undefined ? {} : { detail: s.detail }) };
  };

  let state: ReplicaState | null = null;
  let timer: NodeJS.Timeout | null = null;
  // Runs from a timer too, so it must never throw: an uncaught error there would end the process.
  function end(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    state = null;
    if (!db.open || !db.inTransaction) return;
    try {
      db.exec("COMMIT");
    } catch (e) {
      opts.onEndFailure?.(e);
      try {
        if (db.inTransaction) db.exec("ROLLBACK");
      } catch {
        // The connection is unusable either way; the caller was told, or the next read fails.
      }
    }
  }
  const open = (): ReplicaState => {
    if (state !== null) return state;
    db.exec("BEGIN");
    try {
      state = computeState();
      opts.onOpen?.(dataVersion.get() as number);
    } catch (e) {
      end();
      throw e;
    }
    timer = setTimeout(end, VIEW_MS);
    timer.unref();
    return state;
  };
  return {
    state: open,
    tenantJson: queries.tenantJson,
    userJson: queries.userJson,
    defaultsJson: JSON.stringify(defaults),
    end,
  };
}
