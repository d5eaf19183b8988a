// `snapshot apply`: builds a complete new replica from a snapshot in a file
// beside the replica, and only once every row is in and the digest (and the
// signature, when a key is given) checked out, swaps it in with one atomic
// rename. A failure or a kill at any moment leaves the previous replica as the
// one the path points at; leftovers are removed by the next apply.
import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { CapgateError } from "../errors.js";
import { TABLES, type ColumnSpec, type TableSpec } from "../replica/tables.js";
import { createIndexes, createSchema, isSupportedSchemaVersion, REPLICA_FORMAT, SUPPORTED_SCHEMA_VERSIONS } from "../replica/schema.js";
import { writeMeta, type ReplicaMeta } from "../replica/meta.js";
import { openReplica } from "../replica/open.js";
import { quickCheck } from "../replica/integrity.js";
import { generationPath, isSymlink, removeStaleFiles, TEMP_MARK } from "../replica/files.js";
import { readHeader, readSnapshot } from "./read.js";
import type { SnapshotHeader } from "./format.js";
import type { LoadedKey } from "./keys.js";

export interface ApplyOptions {
  key?: LoadedKey;
  /** Apply even when the snapshot is older than the replica. */
  force?: boolean;
  onStart?: (totalRows: number) => void;
  onProgress?: (rows: number) => void;
}

export interface ApplyResult {
  meta: ReplicaMeta;
  /** The replica's metadata before the apply, when there was one. */
  previous?: ReplicaMeta;
  rows: number;
}

const refuse = (file: string, msg: string): CapgateError => new CapgateError("snapshot_error", `${file}: refused: ${msg}`);

/**
 * The SQL that takes column `i` out of a row array. A JSON value of the wrong
 * type becomes a blob, which the column's CHECK rejects, rather than being
 * converted by SQLite's type affinity (42 would silently become '42').
 */
function extract(c: ColumnSpec, i: number): string {
  const type = `json_type(value, '$[${i}]')`;
  switch (c.kind) {
    case "text":
      return `CASE ${type} WHEN 'text' THEN value ->> ${i} WHEN 'null' THEN NULL ELSE x'00' END`;
    case "bool":
      return `CASE ${type} WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'null' THEN NULL ELSE x'00' END`;
    case "json":
      return `value -> ${i}`;
  }
}

function fsyncPath(p: string): void {
  const fd = openSync(p, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Refusals that need only the header and the current replica. */
function checkAgainstReplica(file: string, h: SnapshotHeader, previous: ReplicaMeta | undefined, force: boolean): void {
  if (!isSupportedSchemaVersion(h.schema_version)) {
    throw refuse(file, `schema version ${h.schema_version} is not supported by this capgate (supports ${SUPPORTED_SCHEMA_VERSIONS.min}..${SUPPORTED_SCHEMA_VERSIONS.max}); upgrade capgate first`);
  }
  const expected = TABLES.map((t) => `${t.name}(${t.columns.map((c) => c.name).join(",")})`).join(" ");
  const got = h.tables.map((t) => `${t.name}(${t.columns.join(",")})`).join(" ");
  if (expected !== got) throw refuse(file, `its tables do not match this capgate's replica layout`);
  if (previous === undefined || force) return;
  const older =
    h.watermark !== null && previous.watermark !== null
      ? h.watermark < previous.watermark
      : Date.parse(h.taken_at) < Date.parse(previous.takenAt);
  if (older) {
    throw refuse(
      file,
      `snapshot (taken ${h.taken_at}, watermark ${h.watermark ?? "none"}) is older than the replica (taken ${previous.takenAt}, watermark ${previous.watermark ?? "none"}); pass --force to roll back`,
    );
  }
}

function currentMeta(replicaPath: string): ReplicaMeta | undefined {
  try {
    const r = openReplica(replicaPath);
    try {
      return r.meta();
    } finally {
      r.close();
    }
  } catch {
    // No replica, or one that cannot be read: nothing to compare against, and replacing it is the fix.
    return undefined;
  }
}

export async function applySnapshot(file: string, replicaPath: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const header = readHeader(file);
  const previous = currentMeta(replicaPath);
  checkAgainstReplica(file, header, previous, opts.force ?? false);
  removeStaleFiles(replicaPath);

  const id = randomUUID().slice(0, 8);
  const tmp = `${replicaPath}${TEMP_MARK}${id}`;
  const db = new Database(tmp);
  let rows = 0;
  try {
    // Durability comes from the fsync and rename at the end; until then the file is scratch.
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -262144");
    createSchema(db);
    // Rows go to SQLite in batches as one JSON array each and are unpacked by
    // json_each in C: no per-row parsing or binding in JavaScript. The schema's
    // CHECK constraints reject a value of the wrong kind.
    const inserts = TABLES.map((t: TableSpec) =>
      db.prepare(
        `INSERT INTO ${t.name} (${t.columns.map((c) => c.name).join(", ")}) ` +
          `SELECT ${t.columns.map(extract).join(", ")} ` +
          `FROM json_each(?) WHERE json_array_length(value) = ${t.columns.length}`,
      ),
    );
    opts.onStart?.(header.tables.reduce((a, t) => a + t.rows, 0));
    db.exec("BEGIN");
    let batch: string[] = [];
    let batchTable = -1;
    const flush = (): void => {
      if (batch.length === 0) return;
      const spec = TABLES[batchTable]!;
      let changes: number;
      try {
        changes = inserts[batchTable]!.run(`[${batch.join(",")}]`).changes;
      } catch (e) {
        throw new CapgateError("snapshot_error", `${file}: table ${spec.name}: ${(e as Error).message} (file damaged?)`);
      }
      if (changes !== batch.length) throw new CapgateError("snapshot_error", `${file}: table ${spec.name}: a row does not have ${spec.columns.length} values`);
      rows += batch.length;
      batch = [];
    };
    const info = await readSnapshot(file, {
      ...(opts.key ? { key: opts.key } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      onRowText: (ti, line) => {
        if (ti !== batchTable || batch.length >= 2000) {
          flush();
          batchTable = ti;
        }
        batch.push(line);
      },
    });
    flush();
    createIndexes(db);
    // A file that came out damaged (a bad disk, a full one) is refused here, never swapped in.
    const problem = quickCheck(db);
    if (problem !== null) throw new CapgateError("snapshot_error", `${file}: the replica built from it is damaged: ${problem}`);
    const now = new Date().toISOString();
    const meta: ReplicaMeta = {
      replicaFormat: REPLICA_FORMAT,
      schemaVersion: info.header.schema_version,
      watermark: info.header.watermark,
      snapshotId: info.header.snapshot_id,
      takenAt: info.header.taken_at,
      appliedAt: now,
      digest: info.digest,
      // The data was known current when the snapshot was taken, not when it was applied.
      confirmedAt: info.header.taken_at,
    };
    writeMeta(db, meta);
    db.exec("COMMIT");
    db.pragma("journal_mode = WAL");
    db.close();
    fsyncPath(tmp);

    const gen = generationPath(replicaPath, `${info.header.snapshot_id.slice(0, 8)}-${id}`);
    renameSync(tmp, gen);
    const link = `${replicaPath}${TEMP_MARK}${id}.link`;
    symlinkSync(basename(gen), link);
    const wasPlainFile = !isSymlink(replicaPath);
    renameSync(link, replicaPath);
    fsyncPath(dirname(replicaPath));
    if (wasPlainFile) {
      // A replica that was a plain file leaves its WAL files under the path's own name; they belong to nothing now.
      rmSync(`${replicaPath}-wal`, { force: true });
      rmSync(`${replicaPath}-shm`, { force: true });
    }
    removeStaleFiles(replicaPath);
    return { meta, rows, ...(previous ? { previous } : {}) };
  } catch (e) {
    if (db.open) db.close();
    rmSync(tmp, { force: true });
    if (e instanceof CapgateError) throw e;
    throw new CapgateError("snapshot_error", `${file}: apply failed: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}
