// The FactSource over the SQLite replica (src/replica): the tenant's and the
// user's facts as JSON built by SQLite (src/replica/policy-facts.ts), with
// every secret removed, the catalog defaults read once per opened replica, and
// the replica's staleness. No rule about what a value means is decided here.
//
// Decisions read through a read view: one read transaction kept open for at
// most VIEW_MS and then ended by a timer, the next decision opening the next.
// Outside a transaction every query takes and drops the WAL read lock (three
// system calls, most of a lookup's cost); inside one, a lookup is B-tree work
// only. A view also makes each answer consistent: its facts, replica version
// and staleness come from one snapshot of the file. What a follower writes is
// seen at most VIEW_MS later, and ending the view lets checkpoints go on.
//
// No SQLite error escapes except from a lookup (whose caller denies): a
// damaged file found by a lookup, the view's timer or an integrity check marks
// the source corrupt for good, and from then on it is never read again and
// every decision is denied until a fresh snapshot replaces the file; a note
// beside the file (reportDamage) tells whatever follows the primary to do so.
//
// Facts read are kept in a FactCache (fact-cache.ts) for the file's current
// data version, so a subject asked about again skips SQLite. A lookup still
// opens the read view first, so a source marked corrupt answers nothing.
import type Database from "better-sqlite3";
import {
  corruptReplicaError,
  isCorruptReplica,
  openReplica,
  preparePolicyFacts,
  quickCheck,
  reportDamage,
  type Replica,
} from "../../replica/index.js";
import { CapgateError } from "../../errors.js";
import { FactCache } from "./fact-cache.js";
import { SECRET_KEYS, withoutSecrets, type FactSource, type ReplicaState } from "./facts.js";

export const VIEW_MS = 100;

/** Bounds of the fact caches: tenants, and users (whose facts are larger). */
const CACHED_TENANTS = { entries: 4096, chars: 4 * 1024 * 1024 };
const CACHED_USERS = { entries: 16_384, chars: 8 * 1024 * 1024 };

/** Where a damaged replica was noticed (the label of the corruption metric). */
export type CorruptionFinder = "lookup" | "integrity_check" | "load";

export interface ReplicaFactsOptions {
  /** Told once, when the source finds its file damaged. */
  onCorrupt?: (reason: string, foundBy: CorruptionFinder) => void;
  /** PRAGMA quick_check before the first read (default true). */
  integrityCheck?: boolean;
}

export function openReplicaFacts(
  path: string,
  maxStalenessSeconds: number,
  clock: () => number,
  opts: ReplicaFactsOptions = {},
): FactSource {
  const replica: Replica = openReplica(path, { integrityCheck: opts.integrityCheck ?? true });
  try {
    return replicaFacts(replica, maxStalenessSeconds, clock, opts);
  } catch (e) {
    closeQuietly(replica);
    if (!isCorruptReplica(e) || (e instanceof CapgateError && e.details?.["corrupt"] === true)) throw e;
    throw corruptReplicaError(path, (e as Error).message, e);
  }
}

/**
 * What serves in place of a replica found damaged before it ever served: it
 * reads nothing, says corrupt (so /ready and every decision name the damage),
 * and leaves the note that has a follower replace the file.
 */
export function damagedReplica(file: string, reason: string): FactSource {
  try {
    reportDamage(file, reason);
  } catch {
    // Best effort, as for a source marked corrupt while serving.
  }
  const refuse = (): never => {
    throw new CapgateError("replica_error", reason, { details: { corrupt: true } });
  };
  return {
    file,
    state: () => ({ status: "corrupt", version: null, age_seconds: null, detail: reason }),
    tenantJson: refuse,
    userJson: refuse,
    defaultsJson: () => "{}",
    checkIntegrity: () => reason,
    markCorrupt: () => undefined,
    close: () => undefined,
  };
}

export function replicaFacts(replica: Replica, maxStalenessSeconds: number, clock: () => number, opts: ReplicaFactsOptions = {}): FactSource {
  const db: Database.Database = replica.db;
  const meta = replica.meta();
  const defaults: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(replica.catalog())) defaults[key] = row.defaultValue;
  const defaultsJson = JSON.stringify(defaults);
  // Secrets at the top of a capability's data are removed by SQLite; a deeper one by scrubbed() below.
  const queries = preparePolicyFacts(db, SECRET_KEYS);
  const watermark = db.prepare("SELECT value FROM replica_meta WHERE key = 'watermark'").pluck();
  // Moves on whenever another connection (a follower) commits to the file.
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  const tenants = new FactCache(CACHED_TENANTS.entries, CACHED_TENANTS.chars);
  const users = new FactCache(CACHED_USERS.entries, CACHED_USERS.chars);

  const computeState = (): ReplicaState => {
    const s = replica.status({ maxStalenessMs: maxStalenessSeconds * 1000, now: clock() });
    // The version a decision was answered from: the snapshot, and the change-feed
    // watermark a follower advances in place.
    const wm = s.state === "missing" ? undefined : (watermark.get() as string | undefined);
    const version = s.state === "missing" ? null : wm === undefined || wm === "" ? meta.snapshotId : `${meta.snapshotId}@${wm}`;
    const age = s.ageMs === undefined ? null : s.ageMs / 1000;
    return { status: s.state, version, age_seconds: age, ...(s.reason === undefined ? {} : { detail: s.reason }) };
  };

  let closed = false;
  /** Why the file is known damaged; once set, never cleared. */
  let corrupt: string | null = null;
  let state: ReplicaState | null = null;
  let timer: NodeJS.Timeout | null = null;
  const markCorrupt = (reason: string, foundBy: CorruptionFinder): void => {
    if (corrupt !== null) return;
    corrupt = reason;
    endView();
    let unreported: string | undefined;
    try {
      reportDamage(replica.file, reason);
    } catch (e) {
      unreported = (e as Error).message;
    }
    opts.onCorrupt?.(unreported === undefined ? reason : `${reason} (the follower could not be told: ${unreported})`, foundBy);
  };
  /** Notes a SQLite failure: a damaged file marks the source corrupt; other failures pass. */
  const noted = (e: unknown, foundBy: CorruptionFinder): unknown => {
    if (isCorruptReplica(e)) markCorrupt((e as Error).message, foundBy);
    return e;
  };
  // Runs from a timer too, so it must never throw: an uncaught error there would end the process.
  function endView(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    state = null;
    if (!db.open || !db.inTransaction) return;
    try {
      db.exec("COMMIT");
    } catch (e) {
      noted(e, "lookup");
      try {
        if (db.inTransaction) db.exec("ROLLBACK");
      } catch {
        // The connection is unusable either way; the source is marked or will fail its next read.
      }
    }
  }
  /** The state of the current read view, opening one when none is. */
  const view = (): ReplicaState => {
    if (corrupt !== null) throw corruptReplicaError(replica.path, corrupt);
    if (state !== null) return state;
    db.exec("BEGIN");
    try {
      state = computeState();
      const version = dataVersion.get() as number;
      tenants.at(version);
      users.at(version);
    } catch (e) {
      endView();
      throw e;
    }
    timer = setTimeout(endView, VIEW_MS);
    timer.unref();
    return state;
  };
  const lookup = (cache: FactCache, query: (id: string) => string | undefined, id: string): string | null => {
    let text: string | undefined;
    try {
      view();
      const known = cache.get(id);
      if (known !== undefined) return known;
      text = query(id);
    } catch (e) {
      throw noted(e, "lookup");
    }
    if (text === undefined) return null;
    const clean = scrubbed(text);
    cache.set(id, clean);
    return clean;
  };
  const corruptState = (reason: string): ReplicaState => ({ status: "corrupt", version: null, age_seconds: null, detail: reason });

  return {
    file: replica.file,
    state(): ReplicaState {
      if (closed) return { status: "missing", version: null, age_seconds: null, detail: "replica closed" };
      if (corrupt !== null) return corruptState(corrupt);
      try {
        return view();
      } catch (e) {
        noted(e, "lookup");
        if (corrupt !== null) return corruptState(corrupt);
        return { status: "missing", version: null, age_seconds: null, detail: `replica cannot be read: ${(e as Error).message}` };
      }
    },
    tenantJson: (id) => lookup(tenants, queries.tenantJson, id),
    userJson: (id) => lookup(users, queries.userJson, id),
    defaultsJson: () => defaultsJson,
    checkIntegrity(): string | null {
      if (closed || corrupt !== null) return corrupt;
      // Outside a read view, so the check does not hold one open while it walks the file.
      endView();
      const problem = quickCheck(db);
      if (problem !== null) markCorrupt(`${replica.path}: replica is corrupt: ${problem}`, "integrity_check");
      return problem;
    },
    markCorrupt: (reason) => markCorrupt(reason, "load"),
    close() {
      if (closed) return;
      closed = true;
      endView();
      tenants.clear();
      users.clear();
      closeQuietly(replica);
    },
  };
}

function closeQuietly(replica: Replica): void {
  try {
    replica.close();
  } catch {
    // Closing a damaged file can fail; the handle is dropped either way.
  }
}

/** The facts with every secret removed at any depth; text without a secret-looking key passes as it is. */
function scrubbed(text: string): string {
  return text.includes("secret") ? JSON.stringify(withoutSecrets(JSON.parse(text))) : text;
}
