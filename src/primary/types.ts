// The one small interface every part of capgate uses to talk to the primary
// database, whether it is a PostgreSQL server (pg) or the embedded PGlite
// engine. Kept minimal on purpose: SQL in, rows out, transactions, an
// advisory lock, close.

export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
  rows: R[];
  /** Rows returned, or rows changed by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

/** Something SQL can be sent to: the primary itself, a transaction, a locked session. */
export interface Queryable {
  /** One statement, with `$1`-style parameters. */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** A script of any number of statements, without parameters (a migration file). */
  exec(sql: string): Promise<void>;
}

export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

export interface TransactionOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
}

/** A single connection: what a transaction or an advisory-locked section runs on. */
export interface PrimarySession extends Queryable {
  /** Runs `fn` in BEGIN/COMMIT on this connection; any throw rolls back and rethrows. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

export type PrimaryKind = "postgres" | "pglite";

export interface Primary extends PrimarySession {
  readonly kind: PrimaryKind;
  /** Where the primary is, safe to print: a URL without its password, or a directory. */
  readonly location: string;
  /**
   * Holds the session-level advisory lock `key` for the duration of `fn`, which
   * receives the very connection that holds it. A second holder waits.
   */
  withAdvisoryLock<T>(key: bigint, fn: (session: PrimarySession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
