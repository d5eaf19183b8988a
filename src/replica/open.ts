// Opening a replica: the file the replica path points at, checked to be a
// replica of a format this capgate reads, and what any reader asks of it (its
// metadata, the capability catalog, its staleness, whether it was replaced).
// Decisions read the tenants' and users' rows through a read view
// (read-view.ts) as JSON in the policy input's shape (policy-facts.ts).
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { CapgateError } from "../errors.js";
import { currentGeneration } from "./files.js";
import { isCorruption, quickCheck } from "./integrity.js";
import { readMeta, type ReplicaMeta } from "./meta.js";
import { REPLICA_FORMAT } from "./schema.js";
import { evaluateStaleness, type Staleness } from "./status.js";

export class Replica {
  readonly path: string;
  /** The generation file this handle reads (the replica path's target when opened). */
  readonly file: string;
  readonly db: Database.Database;
  private readonly metaStmt: Database.Statement;

  constructor(path: string, db: Database.Database, file: string) {
    this.path = path;
    this.db = db;
    this.file = file;
    this.metaStmt = db.prepare("SELECT value FROM replica_meta WHERE key = 'confirmed_at'").pluck();
  }

  meta(): ReplicaMeta {
    return readMeta(this.db, this.path);
  }

  /** The capability catalog (system defaults), key → row. */
  catalog(): Record<string, { kind: string; description: string; defaultValue: unknown; isSystem: boolean }> {
    const out: ReturnType<Replica["catalog"]> = {};
    const rows = this.db.prepare("SELECT key, kind, description, default_value, is_system FROM capabilities").all() as {
      key: string; kind: string; description: string; default_value: string; is_system: number;
    }[];
    for (const r of rows) out[r.key] = { kind: r.kind, description: r.description, defaultValue: JSON.parse(r.default_value), isSystem: r.is_system === 1 };
    return out;
  }

  /** Staleness of this open replica: one primary-key read, cheap enough per decision. */
  status(opts: { maxStalenessMs: number; now?: number }): Staleness {
    const confirmedAt = this.metaStmt.get() as string | undefined;
    return evaluateStaleness(confirmedAt, opts);
  }

  /** True when the replica path now points at another generation (a snapshot was applied): reopen. */
  replaced(): boolean {
    return currentGeneration(this.path) !== this.file;
  }

  close(): void {
    this.db.close();
  }
}

/** The replica_error of a damaged file: `details.corrupt` tells it from a missing or foreign one. */
export function corruptReplicaError(path: string, problem: string, cause?: unknown): CapgateError {
  return new CapgateError("replica_error", `${path}: replica is corrupt: ${problem}`, {
    details: { corrupt: true },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** True for an error that says a replica file is damaged, raised by SQLite or by openReplica. */
export function isCorruptReplica(e: unknown): boolean {
  if (e instanceof CapgateError) return e.details?.["corrupt"] === true || isCorruption(e.cause);
  return isCorruption(e);
}

/**
 * Opens the replica at `path` (read-only unless `readonly: false`). Throws
 * replica_error when the file is missing, is not a replica, or has a layout
 * this capgate does not read; with `integrityCheck`, also when PRAGMA
 * quick_check finds it damaged (see isCorruptReplica).
 */
export function openReplica(path: string, opts: { readonly?: boolean; integrityCheck?: boolean } = {}): Replica {
  const readonly = opts.readonly ?? true;
  const file = currentGeneration(path);
  if (file === undefined || !existsSync(file)) throw new CapgateError("replica_error", `${path}: replica does not exist`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly, fileMustExist: true });
    if (!readonly) db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
  } catch (e) {
    if (isCorruption(e)) throw corruptReplicaError(path, (e as Error).message, e);
    throw new CapgateError("replica_error", `${path}: cannot open replica: ${(e as Error).message}`, { cause: e });
  }
  try {
    if (opts.integrityCheck === true) {
      const problem = quickCheck(db);
      if (problem !== null) throw corruptReplicaError(path, problem);
    }
    const meta = readMeta(db, path);
    if (meta.replicaFormat !== REPLICA_FORMAT) {
      throw new CapgateError("replica_error", `${path}: replica format ${meta.replicaFormat} is not supported (expected ${REPLICA_FORMAT})`);
    }
    return new Replica(path, db, file);
  } catch (e) {
    db.close();
    if (isCorruptReplica(e) && !(e instanceof CapgateError && e.details?.["corrupt"] === true))
      throw corruptReplicaError(path, (e as Error).message, e);
    if (e instanceof CapgateError) throw e;
    throw new CapgateError("replica_error", `${path}: cannot read replica: ${(e as Error).message}`, { cause: e });
  }
}
