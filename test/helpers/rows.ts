// Writing fixture rows into the primary and reading tables back in a stable
// order, for tests that compare table contents.
import type { Queryable, Row } from "../../src/primary/index.js";

/** Primary keys of the tables tests compare, for a deterministic order. */
export const TABLE_KEYS: Record<string, string[]> = {
  tenants: ["id"],
  tenant_settings: ["tenant_id"],
  users: ["id"],
  capabilities: ["key"],
  tenant_capabilities: ["tenant_id", "capability_key"],
  tenant_features: ["tenant_id", "feature_key"],
  user_capability_state: ["user_id", "capability_key"],
};

export const LEGACY_TABLES = ["tenants", "tenant_settings", "users"] as const;
export const CAPABILITY_TABLES = ["tenant_capabilities", "tenant_features", "user_capability_state"] as const;

function keysOf(table: string): string[] {
  const keys = TABLE_KEYS[table];
  if (keys === undefined) throw new Error(`no key known for table ${table}`);
  return keys;
}

function param(v: unknown): unknown {
  // jsonb columns: send JSON text, which both engines accept for jsonb.
  return v !== null && typeof v === "object" && !(v instanceof Date) ? JSON.stringify(v) : v;
}

/**
 * Inserts rows; with `upsert`, a row whose key exists replaces its non-key
 * columns (the way an administrator's write lands).
 */
export async function insertRows(q: Queryable, table: string, rows: readonly Row[], upsert = false): Promise<void> {
  for (const row of rows) {
    const cols = Object.keys(row);
    const placeholders = cols.map((_, i) => `$${i + 1}`).join(", ");
    const keys = keysOf(table);
    const updates = cols.filter((c) => !keys.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
    const conflict = upsert && updates.length > 0 ? ` ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${updates.join(", ")}` : "";
    await q.query(
      `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${placeholders})${conflict}`,
      cols.map((c) => param(row[c])),
    );
  }
}

/** Every row of `table` (all columns, or the ones given), ordered by its key. */
export async function dumpTable(q: Queryable, table: string, columns?: readonly string[]): Promise<Row[]> {
  const r = await q.query(`SELECT ${columns ? columns.join(", ") : "*"} FROM ${table} ORDER BY ${keysOf(table).join(", ")}`);
  return r.rows;
}

export async function dumpTables(q: Queryable, tables: readonly string[]): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const t of tables) out[t] = await dumpTable(q, t);
  return out;
}

/** The user tables of the public schema, their columns and constraints: the shape of the schema. */
export async function schemaShape(q: Queryable): Promise<Row[]> {
  const r = await q.query(`
    SELECT c.relname AS table_name, c.relkind::text AS kind,
           (SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull, ',' ORDER BY a.attnum)
              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
           (SELECT string_agg(pg_get_constraintdef(k.oid), ' | ' ORDER BY k.conname)
              FROM pg_constraint k WHERE k.conrelid = c.oid) AS constraints
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'S')
     ORDER BY c.relname`);
  return r.rows;
}
