// Turning change-log rows into replica writes: an upsert for 'U', a keyed
// delete for 'D', a table wipe for 'T'. Statements are prepared once per
// replica handle.
import type Database from "better-sqlite3";
import { CapgateError } from "../errors.js";
import { TABLES, TABLES_BY_NAME, toSqliteValue, type ColumnSpec, type SqliteValue, type TableSpec } from "../replica/tables.js";

export interface Change {
  seq: number;
  table_name: string;
  op: string;
  row_data: Record<string, unknown>;
}

interface TableStatements {
  spec: TableSpec;
  /** The key columns' specs, in key order. */
  keyColumns: ColumnSpec[];
  upsert: Database.Statement;
  remove: Database.Statement;
  wipe: Database.Statement;
}

export class ChangeApplier {
  private readonly byTable = new Map<string, TableStatements>();

  constructor(db: Database.Database) {
    for (const t of TABLES) {
      const cols = t.columns.map((c) => c.name);
      const nonKey = cols.filter((c) => !t.key.includes(c));
      const set = nonKey.length === 0 ? "NOTHING" : `UPDATE SET ${nonKey.map((c) => `${c} = excluded.${c}`).join(", ")}`;
      this.byTable.set(t.name, {
        spec: t,
        keyColumns: t.key.map((k) => t.columns.find((c) => c.name === k)!),
        upsert: db.prepare(`INSERT INTO ${t.name} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ON CONFLICT (${t.key.join(", ")}) DO ${set}`),
        remove: db.prepare(`DELETE FROM ${t.name} WHERE ${t.key.map((k) => `${k} = ?`).join(" AND ")}`),
        wipe: db.prepare(`DELETE FROM ${t.name}`),
      });
    }
  }

  /** Writes one change; a value of the wrong shape throws before anything is written. */
  apply(c: Change): void {
    const st = this.byTable.get(c.table_name);
    if (!st || !TABLES_BY_NAME.has(c.table_name)) {
      throw new CapgateError("sync_error", `change ${c.seq}: table ${c.table_name} is not mirrored by this capgate`);
    }
    switch (c.op) {
      case "U":
        st.upsert.run(values(c, st.spec.columns));
        return;
      case "D":
        st.remove.run(values(c, st.keyColumns));
        return;
      case "T":
        st.wipe.run();
        return;
      default:
        throw new CapgateError("sync_error", `change ${c.seq}: unknown operation ${c.op}`);
    }
  }
}

/** The change's values for `columns`, as the replica stores them. */
function values(c: Change, columns: readonly ColumnSpec[]): SqliteValue[] {
  const out: SqliteValue[] = new Array<SqliteValue>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i]!;
    const v = toSqliteValue(col, c.row_data[col.name]);
    if (v !== null && typeof v === "object") throw new CapgateError("sync_error", `change ${c.seq} (${c.table_name}): ${v.error}`);
    out[i] = v;
  }
  return out;
}
