// The replica's SQLite schema: the mirrored tables (from tables.ts), the
// indexes decisions rely on, and the metadata table that says which primary
// state the file holds and when it was last known to be current.
import type Database from "better-sqlite3";
import { TABLES, type ColumnSpec, type TableSpec } from "./tables.js";

/** Layout version of the SQLite file itself; bump when this schema changes. */
export const REPLICA_FORMAT = 1;

/**
 * Primary migration versions whose tables this capgate can mirror: 4 is the
 * capability model with its data migration, 5 adds the change log, 6 adds the
 * TOTP bookkeeping tables, 7 rekeys them per (tenant, user) and adds pending
 * TOTP enrollments, 8 the admin API's tables, 9 the relay's note on the change
 * log, 10 sidecar status reports (none of 6-10 mirrored). A newer migration
 * that changes mirrored tables must raise `max` together with tables.ts.
 */
export const SUPPORTED_SCHEMA_VERSIONS = { min: 4, max: 10 } as const;

export function isSupportedSchemaVersion(v: number): boolean {
  return Number.isInteger(v) && v >= SUPPORTED_SCHEMA_VERSIONS.min && v <= SUPPORTED_SCHEMA_VERSIONS.max;
}

const sqlType = (c: ColumnSpec): string => (c.kind === "bool" ? "INTEGER" : "TEXT");

/** Type checks SQLite enforces on every write, so a value of the wrong kind never reaches a decision. */
function check(c: ColumnSpec): string {
  const test =
    c.kind === "text" ? `typeof(${c.name}) = 'text'`
    : c.kind === "bool" ? `${c.name} IN (0, 1)`
    : `json_valid(${c.name}) AND json_type(${c.name}) = 'object'`;
  return ` CHECK (${c.nullable ? `${c.name} IS NULL OR ` : ""}${test})`;
}

export function createTableSql(t: TableSpec): string {
  const cols = t.columns.map((c) => `${c.name} ${sqlType(c)}${c.nullable ? "" : " NOT NULL"}${check(c)}`);
  // WITHOUT ROWID: the key is the clustered index, so a key-prefix lookup is one b-tree range.
  return `CREATE TABLE ${t.name} (${cols.join(", ")}, PRIMARY KEY (${t.key.join(", ")})) WITHOUT ROWID`;
}

/** Created after bulk loading, which is faster than maintaining them row by row. */
export const SECONDARY_INDEXES = ["CREATE INDEX users_tenant_id_idx ON users (tenant_id)"];

export const META_TABLE_SQL = "CREATE TABLE replica_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID";

/** Creates every table (no secondary indexes yet) in an empty database. */
export function createSchema(db: Database.Database): void {
  db.exec(META_TABLE_SQL);
  for (const t of TABLES) db.exec(createTableSql(t));
}

export function createIndexes(db: Database.Database): void {
  for (const sql of SECONDARY_INDEXES) db.exec(sql);
}
