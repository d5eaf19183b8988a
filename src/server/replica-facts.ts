// The FactSource over the SQLite replica (src/replica): one indexed lookup per
// tenant and per user, each answering the subject's facts as JSON built by
// SQLite itself, the catalog defaults read once per opened replica, and the
// replica's staleness. The replica's rows are reshaped into the policy input's
// fact shapes here, and nothing else: no rule about what a value means.
//
// Decisions read through a read view: one read transaction kept open for at
// most VIEW_MS and then ended by a timer, the next decision opening the next.
// Outside a transaction every query takes and drops the WAL read lock (three
// system calls, most of a lookup's cost); inside one, a lookup is B-tree work
// only. A view also makes each answer consistent: its facts, replica version
// and staleness come from one snapshot of the file. What a follower writes is
// seen at most VIEW_MS later, and ending the view lets checkpoints go on.
import type Database from "better-sqlite3";
import { openReplica, type Replica } from "../replica/index.js";
import { SECRET_KEYS, withoutSecrets, type FactSource, type ReplicaState } from "./facts.js";

export const VIEW_MS = 100;

const TENANT_JSON_SQL = `
  SELECT json_object(
    'id', t.id,
    'capabilities', (SELECT json_group_object(capability_key, json(value)) FROM tenant_capabilities WHERE tenant_id = t.id),
    'features', (SELECT json_group_object(feature_key, json(CASE enabled WHEN 1 THEN 'true' ELSE 'false' END))
                 FROM tenant_features WHERE tenant_id = t.id))
  FROM tenants t WHERE t.id = ?`;

// Secrets kept at the top of a capability's data are removed by SQLite; a
// deeper one is caught by scrubbed() below.
const SECRET_PATHS = [...SECRET_KEYS].map((k) => `'$.${k}'`).join(", ");
const USER_JSON_SQL = `
  SELECT json_object(
    'id', u.id,
    'tenant_id', u.tenant_id,
    'capabilities', (SELECT json_group_object(capability_key,
                       json_object('status', status, 'source', source, 'data', json_remove(data, ${SECRET_PATHS})))
                     FROM user_capability_state WHERE user_id = u.id))
  FROM users u WHERE u.id = ?`;

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
  const tenantStmt = db.prepare(TENANT_JSON_SQL).pluck();
  const userStmt = db.prepare(USER_JSON_SQL).pluck();
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
  const lookup = (stmt: Database.Statement, id: string): string | null => {
    view();
    const text = stmt.get(id) as string | undefined;
    return text === undefined ? null : scrubbed(text);
  };

  return {
    state(): ReplicaState {
      if (closed) return { status: "missing", version: null, age_seconds: null, detail: "replica closed" };
      return view();
    },
    tenantJson: (id) => lookup(tenantStmt, id),
    userJson: (id) => lookup(userStmt, id),
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
