// The primary as a PostgreSQL server, through a pg connection pool.
import pg from "pg";
import { applicationName } from "./application-name.js";
import { databaseError, isConnectionFailure, wrapDriver } from "./errors.js";
import { beginOptionsSql } from "./transaction-sql.js";
import type {
  Primary,
  PrimarySession,
  Queryable,
  QueryResult,
  Row,
  TransactionOptions,
} from "./types.js";

const INT8_OID = 20;

// int8 (count(*), bigint columns) as a JS number, as PGlite returns it, so
// callers see the same value whichever engine they run on.
const typeParsers = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

export interface PostgresOptions {
  url: string;
  /** Printable form of url (no password). */
  location: string;
  maxConnections?: number;
  connectTimeoutMs?: number;
  /** Runs `SELECT 1` before returning (default true). */
  connectAtOpen?: boolean;
  onIdleError?: (e: Error) => void;
}

type Client = pg.PoolClient | pg.Pool;

async function runQuery<R extends Row>(c: Client, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  const r = await wrapDriver(() => c.query(sql, params === undefined ? undefined : [...params]));
  return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
}

function queryable(c: Client): Queryable {
  return {
    query: <R extends Row = Row>(sql: string, params?: readonly unknown[]) => runQuery<R>(c, sql, params),
    // Without parameters pg uses the simple query protocol, which accepts a script.
    exec: async (sql: string) => {
      await wrapDriver(() => c.query(sql));
    },
  };
}

async function inTransaction<T>(
  client: pg.PoolClient,
  fn: (tx: Queryable) => Promise<T>,
  options: TransactionOptions | undefined,
): Promise<T> {
  const q = queryable(client);
  await q.exec("BEGIN");
  const set = beginOptionsSql(options);
  if (set !== undefined) await q.exec(set);
  let result: T;
  try {
    result = await fn(q);
  } catch (e) {
    // The connection may be gone; the original error is the one worth reporting.
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
  await q.exec("COMMIT");
  return result;
}

function session(client: pg.PoolClient): PrimarySession {
  return {
    ...queryable(client),
    transaction: (fn, options) => inTransaction(client, fn, options),
  };
}

export async function openPostgres(opts: PostgresOptions): Promise<Primary> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    application_name: applicationName(),
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    types: typeParsers,
  });
  // An idle connection dropped by the server must not crash the process; the
  // pool replaces it on the next checkout.
  pool.on("error", opts.onIdleError ?? (() => undefined));
  if (opts.connectAtOpen !== false) {
    try {
      await pool.query("SELECT 1");
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw databaseError(`cannot connect to ${opts.location}`, e);
    }
  }

  const withClient = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw databaseError(`cannot connect to ${opts.location}`, e);
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (e) {
      broken = isConnectionFailure(e);
      throw e;
    } finally {
      // A connection that failed outside SQL may be in any state: discard it.
      client.release(broken);
    }
  };

  return {
    kind: "postgres",
    location: opts.location,
    ...queryable(pool),
    transaction: (fn, options) => withClient((c) => inTransaction(c, fn, options)),
    withAdvisoryLock: (key, fn) =>
      withClient(async (c) => {
        await runQuery(c, "SELECT pg_advisory_lock($1)", [key.toString()]);
        try {
          return await fn(session(c));
        } finally {
          await c.query("SELECT pg_advisory_unlock($1)", [key.toString()]).catch(() => undefined);
        }
      }),
    close: () => pool.end(),
  };
}
