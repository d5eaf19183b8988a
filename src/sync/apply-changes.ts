// Turning change-log rows into replica writes: an upsert for 'U', a keyed
// delete for 'D', a table wipe for 'T'. Statements are prepared once per
// replica handle.
import type Database from "better-sqlite3";
import { CapgateError } from "../errors.js";
import { TABLES, TABLES_BY_NAME, toSqliteValue, type TableSpec } from "../replica/tables.js";

export interface Change {
  seq: number;
  table_name: string;
  op: string;
  row_data: Record<string, unknown>;
}

interface TableStatements {
  spec: TableSpec;
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
        upsert: db.prepare(`INSERT INTO ${t.name} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ON CONFLICT (${t.key.join(", ")}) DO ${set}`),
        remove: db.prepare(`DELETE FROM ${t.name} WHERE ${t.key.map((k) => `${k} = ?`).join(" AND ")}`),
        wipe: db.prepare(`DELETE FROM ${t.name}`),
      });
    }
  }

  apply(c: Change): void {
    const st = this.byTable.get(c.table_name);
    if (!st || !TABLES_BY_NAME.has(c.table_name)) {
      throw new CapgateError("sync_error", `change ${c.seq}: table ${c.table_name} is not mirrored by this capgate`);
    }
    const value = (name: string): string | number | null => {
      const col = st.spec.columns.find((x) => x.name === name)!;
      const v = toSqliteValue(col, c.row_data[name]);
      if (v !== null && typeof v === "object") throw new CapgateError("sync_error", `change ${c.seq} (${c.table_name}): ${v.error}`);
      return v;
    };
    switch (c.op) {
      case "U":
        st.upsert.run(st.spec.columns.map((x) => value(x.name)));
        return;
      case "D":
        st.remove.run(st.spec.key.map(value));
        return;
      case "T":
        st.wipe.run();
        return;
      default:
        throw new CapgateError("sync_error", `change ${c.seq}: unknown operation ${c.op}`);
    }
  }
}
