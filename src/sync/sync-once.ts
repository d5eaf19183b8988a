// One sync pass: read every change-log row above the replica's watermark in
// one consistent primary transaction and apply them all in one SQLite
// transaction, then move the watermark and the confirmed-current time. When
// the log no longer reaches back to the watermark (pruned) or there is no
// usable replica yet, take a fresh snapshot instead of skipping changes.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { CapgateError } from "../errors.js";
import type { Primary } from "../primary/index.js";
import { isCorruptReplica, openReplica, type Replica } from "../replica/open.js";
import { quickCheck, reportedDamage } from "../replica/integrity.js";
import { currentGeneration } from "../replica/files.js";
import { writeMeta } from "../replica/meta.js";
import { isSupportedSchemaVersion } from "../replica/schema.js";
import { exportSnapshot, readSchemaVersion } from "../snapshot/export.js";
import { applySnapshot } from "../snapshot/apply.js";
import { ChangeApplier, type Change } from "./apply-changes.js";

export interface SyncResult {
  /** Changes applied in this pass (0 when already current). */
  applied: number;
  watermark: number;
  /** Why a fresh snapshot was taken instead of applying changes, when one was. */
  snapshotReason?: string;
}

export interface SyncOptions {
  /** Change rows per query to the primary. */
  batchRows?: number;
  /** Receives one-line notes ("change log pruned past watermark ...: taking a snapshot"). */
  onNote?: (line: string) => void;
}

/** A writable replica handle that keeps its prepared statements across passes. */
export class ReplicaWriter {
  readonly path: string;
  private replica: Replica | undefined;
  private applier: ChangeApplier | undefined;
  /** Why the file cannot be used (missing, damaged); the next pass replaces it with a snapshot. */
  unusable: string | undefined;
  private readonly recheckMs: number;
  private checkedAt = 0;

  /**
   * `recheckMs`: how long an open replica is used before looking again for a
   * file put in its place or a damage note beside it (default 0: on every
   * get). A NATS follower commits many times a second; once a second is soon
   * enough there, and saves the file-system calls on each commit.
   */
  constructor(path: string, opts: { recheckMs?: number } = {}) {
    this.path = path;
    this.recheckMs = opts.recheckMs ?? 0;
  }

  /** The open replica (checked with quick_check when opened), reopened when a snapshot replaced it; undefined when unusable. */
  get(): { replica: Replica; applier: ChangeApplier } | undefined {
    if (this.replica && this.recheckMs > 0 && Date.now() - this.checkedAt < this.recheckMs) return { replica: this.replica, applier: this.applier! };
    this.checkedAt = Date.now();
    if (this.replica && this.replica.replaced()) this.close();
    // A sidecar that found the file damaged said so beside it (reportDamage).
    const file = this.replica?.file ?? currentGeneration(this.path);
    const reported = file === undefined ? undefined : reportedDamage(file);
    if (reported !== undefined) {
      this.markUnusable(`a reader found ${this.path} damaged: ${reported}`);
      return undefined;
    }
    if (!this.replica) {
      try {
        this.replica = openReplica(this.path, { readonly: false, integrityCheck: true });
        this.applier = new ChangeApplier(this.replica.db);
      } catch (e) {
        this.markUnusable((e as Error).message);
        return undefined;
      }
      this.unusable = undefined;
    }
    return { replica: this.replica, applier: this.applier! };
  }

  /** Runs PRAGMA quick_check on the replica; a problem marks it unusable. Answers the problem or null. */
  checkIntegrity(): string | null {
    const open = this.get();
    if (open === undefined) return this.unusable ?? null;
    const problem = quickCheck(open.replica.db);
    if (problem !== null) this.markUnusable(`${this.path}: replica is corrupt: ${problem}`);
    return problem;
  }

  markUnusable(reason: string): void {
    this.unusable = reason;
    this.close();
  }

  close(): void {
    try {
      this.replica?.close();
    } catch {
      // A damaged file may fail to close; the handle is dropped either way.
    }
    this.replica = undefined;
    this.applier = undefined;
  }
}

async function freshSnapshot(primary: Primary, writer: ReplicaWriter, reason: string, opts: SyncOptions): Promise<SyncResult> {
  opts.onNote?.(`${reason}: taking a fresh snapshot`);
  writer.close();
  // Not named after the replica: apply clears the replica's own leftovers, and this file must outlive that.
  const file = join(dirname(writer.path), `.capgate-sync-${randomUUID().slice(0, 8)}.snapshot`);
  try {
    await exportSnapshot(primary, file);
    // force: the primary is the authority; a replica "newer" than it (a restored primary) must still follow it.
    const r = await applySnapshot(file, writer.path, { force: true });
    writer.unusable = undefined;
    return { applied: 0, watermark: r.meta.watermark ?? 0, snapshotReason: reason };
  } finally {
    rmSync(file, { force: true });
  }
}

export async function syncOnce(primary: Primary, writer: ReplicaWriter, opts: SyncOptions = {}): Promise<SyncResult> {
  try {
    return await applyChanges(primary, writer, opts);
  } catch (e) {
    if (!isCorruptReplica(e)) throw e;
    // A damaged replica is never patched: the primary's current state replaces it.
    writer.markUnusable((e as Error).message);
    return freshSnapshot(primary, writer, `replica is corrupt (${(e as Error).message})`, opts);
  }
}

async function applyChanges(primary: Primary, writer: ReplicaWriter, opts: SyncOptions): Promise<SyncResult> {
  const batch = opts.batchRows ?? 10_000;
  const open = writer.get();
  if (!open) return freshSnapshot(primary, writer, `no usable replica at ${writer.path} (${writer.unusable ?? "none"})`, opts);
  const meta = open.replica.meta();
  if (meta.watermark === null) return freshSnapshot(primary, writer, "replica has no change-feed watermark (taken before the change log existed)", opts);
  const startedAt = new Date();
  const db = open.replica.db;
  let applied = 0;
  let watermark = meta.watermark;
  let pruned: string | undefined;
  db.exec("BEGIN IMMEDIATE");
  try {
    await primary.transaction(
      async (tx) => {
        const version = await readSchemaVersion(tx);
        if (!isSupportedSchemaVersion(version)) {
          throw new CapgateError("sync_error", `primary schema version ${version} is not supported by this capgate; upgrade capgate`);
        }
        const log = await tx.query<{ t: string | null }>("SELECT to_regclass('capgate_change_log')::text AS t");
        if (log.rows[0]?.t == null) throw new CapgateError("sync_error", "primary has no change log: run `capgate migrate up` (migration 5)");
        const state = await tx.query<{ p: number | string }>("SELECT pruned_through AS p FROM capgate_change_log_state");
        const prunedThrough = Number(state.rows[0]?.p ?? 0);
        if (meta.watermark! < prunedThrough) {
          pruned = `change log pruned through ${prunedThrough}, past the replica's watermark ${meta.watermark}`;
          return;
        }
        for (;;) {
          const r = await tx.query(
            "SELECT seq, table_name, op, row_data FROM capgate_change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            [watermark, batch],
          );
          for (const c of r.rows) {
            const change = { ...(c as unknown as Change), seq: Number(c["seq"]) };
            open.applier.apply(change);
            watermark = change.seq;
            applied++;
          }
          if (r.rows.length < batch) break;
        }
        if (version !== meta.schemaVersion) writeMeta(db, { schemaVersion: version });
      },
      { isolation: "repeatable read", readOnly: true },
    );
    if (pruned !== undefined) {
      db.exec("ROLLBACK");
      return await freshSnapshot(primary, writer, pruned, opts);
    }
    writeMeta(db, { watermark, confirmedAt: startedAt.toISOString() });
    db.exec("COMMIT");
  } catch (e) {
    try {
      if (db.inTransaction) db.exec("ROLLBACK");
    } catch {
      // A damaged file can refuse the rollback too; the error below says why.
    }
    throw e;
  }
  return { applied, watermark };
}
