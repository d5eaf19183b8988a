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
import type Database from "better-sqlite3";
import { openReplica, preparePolicyFacts, type Replica } from "../replica/index.js";
import { SECRET_KEYS, withoutSecrets, type FactSource, type ReplicaState } from "./facts.js";

export const VIEW_MS = 100;

export function openReplicaFacts(path: string, maxStalenessSeconds: number, clock: () => number): FactSource {
  const replica: Replica = openReplica(path);
  try {
    return replicaFacts(replica, maxStalenessSeconds, clock);
  } catch (e) {
    replica.close();
    throw e;
  }
}

export function replicaFacts(replica: Replica, maxStalenessSeconds: number, clock: () => number): FactSource {
  const db: Database.Database = replica.db;
  const meta = replica.meta();
  const defaults: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(replica.catalog())) defaults[key] = row.defaultValue;
  const defaultsJson = JSON.stringify(defaults);
  // Secrets at the top of a capability's data are removed by SQLite; a deeper one by scrubbed() below.
  const queries = preparePolicyFacts(db, SECRET_KEYS);
  const watermark = db.prepare("SELECT value FROM replica_meta WHERE key = 'watermark'").pluck();

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
  let state: ReplicaState | null = null;
  let timer: NodeJS.Timeout | null = null;
  const endView = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    state = null;
    if (db.open && db.inTransaction) db.exec("COMMIT");
  };
  /** The state of the current read view, opening one when none is. */
  const view = (): ReplicaState => {
    if (state !== null) return state;
    db.exec("BEGIN");
    try {
      state = computeState();
    } catch (e) {
      endView();
      throw e;
    }
    timer = setTimeout(endView, VIEW_MS);
    timer.unref();
    return state;
  };
  const lookup = (query: (id: string) => string | undefined, id: string): string | null => {
    view();
    const text = query(id);
    return text === undefined ? null : scrubbed(text);
  };

  return {
    state(): ReplicaState {
      if (closed) return { status: "missing", version: null, age_seconds: null, detail: "replica closed" };
      return view();
    },
    tenantJson: (id) => lookup(queries.tenantJson, id),
    userJson: (id) => lookup(queries.userJson, id),
    defaultsJson: () => defaultsJson,
    close() {
      if (closed) return;
      closed = true;
      endView();
      replica.close();
    },
  };
}

/** The facts with every secret removed at any depth; text without a secret-looking key passes as it is. */
function scrubbed(text: string): string {
  return text.includes("secret") ? JSON.stringify(withoutSecrets(JSON.parse(text))) : text;
}
