// The migration state, kept exactly as golang-migrate keeps it: one row in
// schema_migrations(version bigint, dirty boolean), rewritten on every step,
// with no row meaning "nothing applied" (and version -1 + dirty meaning "a
// down to nothing failed").
import { CapgateError } from "../errors.js";
import type { Queryable } from "../primary/types.js";

export const MIGRATIONS_TABLE = "schema_migrations";

export interface MigrationState {
  /** The applied version, or null when none is. */
  version: number | null;
  /** A migration to or from `version` failed part-way and needs a human. */
  dirty: boolean;
}

export async function migrationsTableExists(q: Queryable): Promise<boolean> {
  const r = await q.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
  return r.rows[0]?.present === true;
}

export async function ensureMigrationsTable(q: Queryable): Promise<void> {
  await q.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
  );
}

export async function readMigrationState(q: Queryable): Promise<MigrationState> {
  if (!(await migrationsTableExists(q))) return { version: null, dirty: false };
  const r = await q.query<{ version: number | string; dirty: boolean }>(
    `SELECT version, dirty FROM ${MIGRATIONS_TABLE} LIMIT 2`,
  );
  if (r.rows.length > 1) {
    throw new CapgateError(
      "migration_error",
      `${MIGRATIONS_TABLE} holds more than one row; expected at most one (was it written by another tool?)`,
    );
  }
  const row = r.rows[0];
  if (row === undefined) return { version: null, dirty: false };
  const version = Number(row.version);
  return { version: version < 0 ? null : version, dirty: row.dirty };
}

export async function writeMigrationState(q: Queryable, version: number | null, dirty: boolean): Promise<void> {
  await q.exec(`TRUNCATE ${MIGRATIONS_TABLE}`);
  if (version !== null) {
    await q.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, dirty) VALUES ($1, $2)`, [version, dirty]);
  } else if (dirty) {
    await q.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, dirty) VALUES (-1, true)`);
  }
}
