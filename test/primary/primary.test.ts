// The Primary interface behaves the same on PGlite and on a PostgreSQL server:
// queries, transactions, advisory locks, errors and close.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CapgateError } from "../../src/errors.js";
import { openPrimary, primaryOptionsFrom, redactUrl, type Primary } from "../../src/primary/index.js";
import { SERVER_URL_VAR, createPgliteDir, freshPrimary, testEngines, type TestPrimary } from "../helpers/primary.js";

async function rejection(p: Promise<unknown>): Promise<CapgateError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CapgateError);
  return e as CapgateError;
}

describe.each(testEngines())("primary on %s", (engine) => {
  let tp: TestPrimary | undefined;
  afterEach(async () => {
    await tp?.cleanup();
    tp = undefined;
  });
  const fresh = async (): Promise<Primary> => {
    tp = await freshPrimary("primary", engine);
    return tp.primary;
  };

  it("runs queries with parameters and scripts, with the same value types on both engines", async () => {
    const p = await fresh();
    expect(p.kind).toBe(engine);
    await p.exec("CREATE TABLE t (id int8 PRIMARY KEY, doc jsonb, at timestamptz); CREATE INDEX t_doc ON t USING gin (doc);");
    const ins = await p.query("INSERT INTO t VALUES ($1, $2, now()), ($3, $4, now())", [1, '{"a":1}', 2, '{"b":[true]}']);
    expect(ins.rowCount).toBe(2);
    const r = await p.query<{ id: number; doc: unknown; at: unknown; n: number }>(
      "SELECT id, doc, at, count(*) OVER () AS n FROM t ORDER BY id",
    );
    expect(r.rows.map(({ id, doc, n }) => ({ id, doc, n }))).toEqual([
      { id: 1, doc: { a: 1 }, n: 2 },
      { id: 2, doc: { b: [true] }, n: 2 },
    ]);
    expect(r.rows[0]!.at).toBeInstanceOf(Date);
    expect((await p.query("UPDATE t SET doc = '{}' WHERE id > $1", [0])).rowCount).toBe(2);
  });

  it("commits a transaction, and rolls back and rethrows when its function throws", async () => {
    const p = await fresh();
    await p.exec("CREATE TABLE t (id int PRIMARY KEY)");
    const out = await p.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES (1)");
      return "done";
    });
    expect(out).toBe("done");
    const boom = new Error("boom");
    await expect(
      p.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (2)");
        throw boom;
      }),
    ).rejects.toBe(boom);
    const e = await rejection(
      p.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (3)");
        await tx.query("INSERT INTO t VALUES (1)");
      }),
    );
    expect(e.code).toBe("database_error");
    expect(e.details?.["sqlstate"]).toBe("23505");
    expect((await p.query("SELECT id FROM t ORDER BY id")).rows).toEqual([{ id: 1 }]);
  });

  it("honours transaction isolation and read-only options", async () => {
    const p = await fresh();
    const iso = await p.transaction(
      async (tx) => (await tx.query<{ i: string }>("SELECT current_setting('transaction_isolation') AS i")).rows[0]!.i,
      { isolation: "repeatable read" },
    );
    expect(iso).toBe("repeatable read");
    const e = await rejection(p.transaction((tx) => tx.exec("CREATE TABLE nope (id int)"), { readOnly: true }));
    expect(e.details?.["sqlstate"]).toBe("25006");
  });

  it("reports a SQL error as a one-line database_error with its SQLSTATE and position", async () => {
    const p = await fresh();
    const e = await rejection(p.query("SELECT * FROM missing_table"));
    expect(e.code).toBe("database_error");
    expect(e.format()).toBe('database_error: relation "missing_table" does not exist');
    expect(e.details).toEqual({ sqlstate: "42P01", position: 15 });
  });

  it("advisory lock: a second holder waits until the first releases", async () => {
    const p = await fresh();
    // A second connection where the engine has one: on PGlite the same instance.
    const other = engine === "postgres" ? await openPrimary({ databaseUrl: tp!.databaseUrl! }) : p;
    try {
      const events: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const firstIn = new Promise<void>((r) => (entered = r));
      const first = p.withAdvisoryLock(7n, async (s) => {
        events.push("first in");
        entered();
        await gate;
        await s.query("SELECT 1");
        events.push("first out");
      });
      await firstIn;
      const second = other.withAdvisoryLock(7n, async () => {
        events.push("second in");
      });
      // Another key is not blocked by the held one.
      await other.withAdvisoryLock(8n, async () => {
        events.push("other key");
      });
      release();
      await Promise.all([first, second]);
      expect(events).toEqual(["first in", "other key", "first out", "second in"]);
    } finally {
      if (other !== p) await other.close();
    }
  });

  it("the lock holder's session runs transactions on the locked connection", async () => {
    const p = await fresh();
    await p.exec("CREATE TABLE t (id int)");
    await p.withAdvisoryLock(9n, async (s) => {
      await s.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (1)");
        const held = await tx.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 9 AND granted AND pid = pg_backend_pid()",
        );
        expect(held.rows[0]!.n).toBe(1);
      });
    });
    expect((await p.query("SELECT count(*)::int AS n FROM t")).rows[0]).toEqual({ n: 1 });
  });

  it("refuses queries after close", async () => {
    const p = await fresh();
    await p.close();
    await expect(p.query("SELECT 1")).rejects.toThrow();
  });
});

describe("the test helper", () => {
  it("fails loudly, not skips, when the configured test server is unreachable", async () => {
    const saved = process.env[SERVER_URL_VAR];
    process.env[SERVER_URL_VAR] = "postgres://postgres@127.0.0.1:1/postgres";
    try {
      await expect(freshPrimary("unreachable", "postgres")).rejects.toThrow(/CAPGATE_TEST_DATABASE_URL=.* is unreachable/);
    } finally {
      if (saved === undefined) delete process.env[SERVER_URL_VAR];
      else process.env[SERVER_URL_VAR] = saved;
    }
  });
});

describe("opening the primary", () => {
  it("takes the flag over DATABASE_URL over the embedded engine", () => {
    const env = { DATABASE_URL: "postgres://env@h/d" };
    expect(primaryOptionsFrom({ databaseUrl: "postgres://flag@h/d" }, env)).toEqual({ databaseUrl: "postgres://flag@h/d" });
    expect(primaryOptionsFrom({}, env)).toEqual({ databaseUrl: "postgres://env@h/d" });
    expect(primaryOptionsFrom({ dataDir: "x" }, { DATABASE_URL: "" })).toEqual({ dataDir: "x" });
    expect(primaryOptionsFrom({}, {})).toEqual({});
  });

  it("an unreachable server is a one-line database_error without the password", async () => {
    const e = await rejection(openPrimary({ databaseUrl: "postgres://capgate:s3cret@127.0.0.1:1/nowhere" }));
    expect(e.code).toBe("database_error");
    expect(e.format()).toMatch(/^database_error: cannot connect to postgres:\/\/capgate:\*\*\*@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/);
    expect(e.format()).not.toContain("s3cret");
    expect(e.format()).not.toContain("\n");
  });

  it("a URL that is not postgres:// is a config_error", async () => {
    expect((await rejection(openPrimary({ databaseUrl: "mysql://x@y/z" }))).code).toBe("config_error");
    expect((await rejection(openPrimary({ databaseUrl: "not a url" }))).format()).toMatch(/config_error: database URL is not a URL/);
    expect(redactUrl("postgresql://u:p@h/d")).toBe("postgresql://u:***@h/d");
  });

  it("the embedded primary refuses a second opener of the same directory and reclaims a dead one's lock", async () => {
    const dir = await createPgliteDir();
    try {
      const first = await openPrimary({ dataDir: dir.dataDir });
      expect(readFileSync(`${dir.dataDir}.lock`, "utf8").trim()).toBe(String(process.pid));
      const e = await rejection(openPrimary({ dataDir: dir.dataDir }));
      expect(e.format()).toMatch(/database_error: embedded primary .* is in use by this process/);
      await first.close();
      expect(existsSync(`${dir.dataDir}.lock`)).toBe(false);

      // A lock left by a process that no longer exists does not block.
      writeFileSync(`${dir.dataDir}.lock`, "2147483646\n");
      const again = await openPrimary({ dataDir: dir.dataDir });
      expect((await again.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      await again.close();
    } finally {
      dir.remove();
    }
  });

  it("a data directory that is a file, or a foreign non-empty folder, is refused untouched", async () => {
    const root = mkdtempSync(join(tmpdir(), "capgate-test-datadir-"));
    try {
      const file = join(root, "file");
      writeFileSync(file, "not a database");
      const e1 = await rejection(openPrimary({ dataDir: file }));
      expect(e1.format()).toMatch(/^database_error: embedded primary .*file exists and is not a directory$/);
      const foreign = join(root, "photos");
      mkdirSync(foreign);
      writeFileSync(join(foreign, "cat.jpg"), "meow");
      const e2 = await rejection(openPrimary({ dataDir: foreign }));
      expect(e2.format()).toMatch(/^database_error: .*photos is not an embedded primary \(no PG_VERSION\) and is not empty/);
      expect(readdirSync(foreign)).toEqual(["cat.jpg"]);
      expect(existsSync(`${file}.lock`) || existsSync(`${foreign}.lock`)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
