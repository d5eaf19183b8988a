// Row-for-row comparison of the primary and a replica: every mirrored table,
// every mirrored column, in key order.
import Database from "better-sqlite3";
import { realpathSync } from "node:fs";
import type { Queryable } from "../../src/primary/index.js";
import { TABLES, fromSqliteValue } from "../../src/replica/tables.js";

export type TableRows = Record<string, unknown[][]>;

/** Sorted by each row's JSON text, computed once per row. */
const sorted = (rows: unknown[][]): unknown[][] =>
  rows
    .map((r) => [JSON.stringify(r), r] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((x) => x[1]);

export async function primaryRows(q: Queryable): Promise<TableRows> {
  const out: TableRows = {};
  for (const t of TABLES) {
    const r = await q.query(`SELECT ${t.columns.map((c) => c.name).join(", ")} FROM ${t.name}`);
    out[t.name] = sorted(r.rows.map((row) => t.columns.map((c) => row[c.name] ?? null)));
  }
  return out;
}

export function replicaRows(path: string): TableRows {
  const db = new Database(realpathSync(path), { readonly: true });
  try {
    const out: TableRows = {};
    for (const t of TABLES) {
      const rows = db.prepare(`SELECT ${t.columns.map((c) => c.name).join(", ")} FROM ${t.name}`).raw().all() as (string | number | null)[][];
      out[t.name] = sorted(rows.map((row) => t.columns.map((c, i) => fromSqliteValue(c, row[i]!))));
    }
    return out;
  } finally {
    db.close();
  }
}
