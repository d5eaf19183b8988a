// The primary as the embedded PGlite engine (PostgreSQL compiled to Wasm,
// in-process, one connection). Used when no database URL is given, so the
// whole product runs on a machine with no server.
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { lockDataDir } from "./dir-lock.js";
import { beginOptionsSql } from "./transaction-sql.js";
import { wrapDriver } from "./errors.js";
import type { Primary, PrimarySession, Queryable, QueryResult, Row } from "./types.js";

type Target = PGlite | Transaction;

function queryable(t: Target): Queryable {
  return {
    query: async <R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
      const r = await wrapDriver(() => t.query<R>(sql, params === undefined ? undefined : [...params]));
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    exec: async (sql: string) => {
      await wrapDriver(() => t.exec(sql));
    },
  };
}

export async function openPglite(dataDir: string): Promise<Primary> {
  const release = lockDataDir(dataDir);
  let db: PGlite;
  try {
    mkdirSync(dirname(dataDir), { recursive: true });
    db = await wrapDriver(() => PGlite.create(dataDir), `cannot open embedded primary ${dataDir}`);
  } catch (e) {
    release();
    throw e;
  }

  const session: PrimarySession = {
    ...queryable(db),
    transaction: (fn, options) =>
      wrapDriver(() =>
        db.transaction(async (tx) => {
          const set = beginOptionsSql(options);
          if (set !== undefined) await tx.exec(set);
          return fn(queryable(tx));
        }),
      ),
  };

  // One connection means PostgreSQL's advisory locks are re-entrant for every
  // caller in this process; a per-key queue gives callers the exclusion a
  // server would.
  const queues = new Map<bigint, Promise<unknown>>();

  let closed = false;
  return {
    kind: "pglite",
    location: dataDir,
    ...session,
    withAdvisoryLock: async (key, fn) => {
      const before = queues.get(key) ?? Promise.resolve();
      let done!: () => void;
      const mine = new Promise<void>((resolve) => (done = resolve));
      const tail = before.then(() => mine);
      queues.set(key, tail);
      await before;
      try {
        await session.query("SELECT pg_advisory_lock($1)", [key.toString()]);
        try {
          return await fn(session);
        } finally {
          await session.query("SELECT pg_advisory_unlock($1)", [key.toString()]).catch(() => undefined);
        }
      } finally {
        done();
        if (queues.get(key) === tail) queues.delete(key);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}
