// The tables the replica mirrors from the primary, the columns it keeps and
// how each value is stored. One table drives the SQLite schema, snapshot
// export, snapshot apply and the change feed, so the four cannot drift apart.
// users.mfa_secret is deliberately absent: the replica never holds it.

export type ColumnKind = "text" | "bool" | "json";

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** Primary key columns, in key order (also the export order). */
  key: string[];
}

const col = (name: string, kind: ColumnKind = "text", nullable = false): ColumnSpec => ({ name, kind, nullable });

/** In dependency order: a table comes after the tables its rows refer to. */
export const TABLES: readonly TableSpec[] = [
  { name: "tenants", columns: [col("id"), col("name")], key: ["id"] },
  {
    name: "users",
    columns: [col("id"), col("tenant_id"), col("email", "text", true), col("mfa_enabled", "bool")],
    key: ["id"],
  },
  {
    name: "capabilities",
    columns: [col("key"), col("kind"), col("description"), col("default_value", "json"), col("is_system", "bool")],
    key: ["key"],
  },
  {
    name: "tenant_capabilities",
    columns: [col("tenant_id"), col("capability_key"), col("value", "json"), col("source")],
    key: ["tenant_id", "capability_key"],
  },
  {
    name: "tenant_features",
    columns: [col("tenant_id"), col("feature_key"), col("enabled", "bool"), col("source")],
    key: ["tenant_id", "feature_key"],
  },
  {
    name: "user_capability_state",
    columns: [col("user_id"), col("capability_key"), col("status"), col("data", "json"), col("source")],
    key: ["user_id", "capability_key"],
  },
];

export const TABLES_BY_NAME: ReadonlyMap<string, TableSpec> = new Map(TABLES.map((t) => [t.name, t]));

export type SqliteValue = string | number | null;

/**
 * Turns one JSON value (as the primary's to_jsonb or a snapshot line gives it)
 * into what the replica stores; returns an error text for a value of the wrong shape.
 */
export function toSqliteValue(c: ColumnSpec, v: unknown): SqliteValue | { error: string } {
  if (v === null || v === undefined) {
    return c.nullable ? null : { error: `column ${c.name} must not be null` };
  }
  switch (c.kind) {
    case "text":
      return typeof v === "string" ? v : { error: `column ${c.name} must be a string` };
    case "bool":
      return typeof v === "boolean" ? (v ? 1 : 0) : { error: `column ${c.name} must be a boolean` };
    case "json":
      return typeof v === "object" ? JSON.stringify(v) : { error: `column ${c.name} must be a JSON object` };
  }
}

/** The inverse of toSqliteValue, for lookups and comparisons. */
export function fromSqliteValue(c: ColumnSpec, v: SqliteValue): unknown {
  if (v === null) return null;
  switch (c.kind) {
    case "text":
      return v;
    case "bool":
      return v === 1;
    case "json":
      return JSON.parse(String(v));
  }
}
