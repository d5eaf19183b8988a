// Row-for-row comparison of the primary and a replica: every mirrored table,
// every mirrored column, in key order.
import Database from "better-sqlite3";
import { realpathSync } from "node:fs";
import type { Queryable } from "../../src/primary/index.js";
import { TABLES, fromSqliteValue } from "../../src/replica/tables.js";

export type TableRows = Record<string, unknown[][]>;

const byKey = (a: unknown[], b: unknown[]): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export async function primaryRows(q: Queryable): Promise<TableRows> {
  const out: TableRows = {};
  for (const t of TABLES) {
    const r = await q.query(`SELECT ${t.columns.map((c) => c.name).join(", ")} FROM ${t.name}`);
    out[t.name] = r.rows.map((row) => t.columns.map((c) => row[c.name] ?? null)).sort(byKey);
  }
  return out;
}

export function replicaRows(path: string): TableRows {
  const db = new Database(realpathSync(path), { readonly: true });
  try {
    const out: TableRows = {};
    for (const t of TABLES) {
      const rows = db.prepare(`SELECT ${t.columns.map((c) => c.name).join(", ")} FROM ${t.name}`).raw().all() as (string | number | null)[][];
      out[t.name] = rows.map((row) => t.columns.map((c, i) => fromSqliteValue(c, row[i]!))).sort(byKey);
    }
    return out;
  } finally {
    db.close();
  }
}
