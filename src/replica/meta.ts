// The replica's metadata: what primary state the file holds (schema version,
// change-feed watermark, snapshot id and digest, when it was taken and
// applied) and when it was last confirmed current. Stored as key/value text
// so adding a field never needs a file-format change.
import type Database from "better-sqlite3";
import { CapgateError } from "../errors.js";

export interface ReplicaMeta {
  replicaFormat: number;
  /** The primary's migration version the data was taken at. */
  schemaVersion: number;
  /** Highest change-log sequence included; null when the primary had no change log. */
  watermark: number | null;
  snapshotId: string;
  takenAt: string;
  appliedAt: string;
  /** sha256 of the snapshot the replica was built from ("sha256:<hex>"). */
  digest: string;
  /** When the replica was last known to match the primary (ISO time). */
  confirmedAt: string;
}

const KEYS: Record<keyof ReplicaMeta, string> = {
  replicaFormat: "replica_format",
  schemaVersion: "schema_version",
  watermark: "watermark",
  snapshotId: "snapshot_id",
  takenAt: "taken_at",
  appliedAt: "applied_at",
  digest: "digest",
  confirmedAt: "confirmed_at",
};

/** One prepared upsert per open database: followers write metadata with every batch they apply. */
const upserts = new WeakMap<Database.Database, Database.Statement>();

export function writeMeta(db: Database.Database, meta: Partial<ReplicaMeta>): void {
  let put = upserts.get(db);
  if (put === undefined) {
    put = db.prepare("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    upserts.set(db, put);
  }
  // Only the fields given (a follower writes one or two with every batch).
  for (const field in meta) {
    const key = KEYS[field as keyof ReplicaMeta] as string | undefined;
    const v = meta[field as keyof ReplicaMeta];
    if (key === undefined || v === undefined) continue;
    put.run(key, v === null ? "" : String(v));
  }
}

/** Reads and checks the metadata; a file without complete metadata is not a replica. */
export function readMeta(db: Database.Database, file: string): ReplicaMeta {
  let rows: { key: string; value: string }[];
  try {
    rows = db.prepare("SELECT key, value FROM replica_meta").all() as { key: string; value: string }[];
  } catch (e) {
    throw new CapgateError("replica_error", `${file}: not a capgate replica (no metadata table)`, { cause: e });
  }
  const m = new Map(rows.map((r) => [r.key, r.value]));
  const get = (k: keyof ReplicaMeta): string => {
    const v = m.get(KEYS[k]);
    if (v === undefined) throw new CapgateError("replica_error", `${file}: replica metadata lacks ${KEYS[k]}`);
    return v;
  };
  const int = (k: keyof ReplicaMeta): number => {
    const n = Number(get(k));
    if (!Number.isSafeInteger(n)) throw new CapgateError("replica_error", `${file}: replica metadata ${KEYS[k]} is not an integer`);
    return n;
  };
  const wm = get("watermark");
  return {
    replicaFormat: int("replicaFormat"),
    schemaVersion: int("schemaVersion"),
    watermark: wm === "" ? null : int("watermark"),
    snapshotId: get("snapshotId"),
    takenAt: get("takenAt"),
    appliedAt: get("appliedAt"),
    digest: get("digest"),
    confirmedAt: get("confirmedAt"),
  };
}
