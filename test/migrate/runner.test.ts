// The migration runner on PGlite and, when configured, the real server:
// round trips, stepping, refusing bad folders, and dirty state on failure.
import { afterEach, describe, expect, it } from "vitest";
import { CapgateError } from "../../src/errors.js";
import {
  forceVersion,
  loadMigrations,
  migrate,
  migrationStatus,
  readMigrationState,
} from "../../src/migrate/index.js";
import { migrationLockKey } from "../../src/migrate/index.js";
import { openPrimary, type Primary } from "../../src/primary/index.js";
import { SHIPPED_MIGRATIONS, tempMigrations, type TempMigrations } from "../helpers/migrations-dir.js";
import { freshPrimary, testEngines, type TestPrimary } from "../helpers/primary.js";
import { schemaShape } from "../helpers/rows.js";

const LATEST = loadMigrations(SHIPPED_MIGRATIONS).length;

async function tableExists(p: Primary, name: string): Promise<boolean> {
  const r = await p.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [name]);
  return r.rows[0]!.present;
}

async function expectCapgateError(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<CapgateError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CapgateError);
  const ce = e as CapgateError;
  expect(ce.code).toBe(code);
  expect(ce.format()).toMatch(pattern);
  expect(ce.format()).not.toContain("\n");
  return ce;
}

describe.each(testEngines())("migration runner on %s", (engine) => {
  let tp: TestPrimary | undefined;
  let folder: TempMigrations | undefined;
  afterEach(async () => {
    await tp?.cleanup();
    folder?.remove();
    tp = undefined;
    folder = undefined;
  });
  const fresh = async (): Promise<Primary> => {
    tp = await freshPrimary("runner", engine);
    return tp.primary;
  };

  it("up → down → up leaves the same schema and a clean state", async () => {
    const p = await fresh();
    const status0 = await migrationStatus(p);
    expect(status0.state).toEqual({ version: null, dirty: false });
    expect(status0.migrations.every((m) => !m.applied)).toBe(true);
    // status only reads: it must not create the bookkeeping table.
    expect(await tableExists(p, "schema_migrations")).toBe(false);

    const up = await migrate(p, { up: "all" });
    expect(up.steps.map((s) => s.version)).toEqual([1, 2, 3, 4].slice(0, LATEST).concat([...Array(LATEST).keys()].slice(4).map((i) => i + 1)));
    expect(await readMigrationState(p)).toEqual({ version: LATEST, dirty: false });
    const shape = await schemaShape(p);
    expect(shape.map((r) => r["table_name"])).toEqual(
      expect.arrayContaining(["tenants", "tenant_settings", "users", "capabilities", "tenant_capabilities", "tenant_features", "user_capability_state"]),
    );

    const down = await migrate(p, { down: "all" });
    expect(down.steps.map((s) => s.version)).toEqual([...Array(LATEST).keys()].map((i) => LATEST - i));
    expect(await readMigrationState(p)).toEqual({ version: null, dirty: false });
    expect((await schemaShape(p)).map((r) => r["table_name"])).toEqual(["schema_migrations", "schema_migrations_pkey"]);

    await migrate(p, { up: "all" });
    expect(await schemaShape(p)).toEqual(shape);
    expect((await migrationStatus(p)).migrations.every((m) => m.applied)).toBe(true);
  });

  it("keeps schema_migrations in golang-migrate's shape", async () => {
    const p = await fresh();
    await migrate(p, { up: 1 });
    const cols = await p.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_name = 'schema_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.rows).toEqual([
      { column_name: "version", data_type: "bigint", is_nullable: "NO" },
      { column_name: "dirty", data_type: "boolean", is_nullable: "NO" },
    ]);
    expect((await p.query("SELECT version, dirty FROM schema_migrations")).rows).toEqual([{ version: 1, dirty: false }]);
  });

  it("steps up and down by N and goes to a version either way", async () => {
    const p = await fresh();
    expect((await migrate(p, { up: 2 })).to).toBe(2);
    expect(await tableExists(p, "capabilities")).toBe(true);
    expect(await tableExists(p, "tenant_capabilities")).toBe(true);
    expect((await migrate(p, { down: 1 })).to).toBe(1);
    expect(await tableExists(p, "capabilities")).toBe(false);
    expect(await tableExists(p, "tenants")).toBe(true);
    expect((await migrate(p, { goto: 3 })).steps.map((s) => `${s.direction}${s.version}`)).toEqual(["up2", "up3"]);
    expect((await p.query("SELECT count(*)::int AS n FROM capabilities")).rows[0]).toEqual({ n: 3 });
    expect((await migrate(p, { goto: 0 })).steps.map((s) => `${s.direction}${s.version}`)).toEqual(["down3", "down2", "down1"]);
    expect(await readMigrationState(p)).toEqual({ version: null, dirty: false });
  });

  it("refuses more steps than there are, applying nothing", async () => {
    const p = await fresh();
    await expectCapgateError(migrate(p, { up: LATEST + 1 }), "migration_error", /only \d+ pending/);
    expect(await readMigrationState(p)).toEqual({ version: null, dirty: false });
    await migrate(p, { up: 1 });
    await expectCapgateError(migrate(p, { down: 2 }), "migration_error", /only 1 applied/);
    await expectCapgateError(migrate(p, { goto: LATEST + 1 }), "migration_error", /no migration version/);
    expect(await readMigrationState(p)).toEqual({ version: 1, dirty: false });
  });

  it("a failing migration is rolled back, marked dirty, and names file, line and error", async () => {
    const p = await fresh();
    folder = tempMigrations(2, {
      "000003_broken.up.sql": "CREATE TABLE made_before_failure (id int);\nSELECT * FROM no_such_table;\n",
      "000003_broken.down.sql": "DROP TABLE made_before_failure;\n",
    });
    const e = await expectCapgateError(
      migrate(p, { up: "all" }, { dir: folder.dir }),
      "migration_error",
      /000003_broken\.up\.sql:2:15: migration_error: .*no_such_table.*42P01.*dirty at version 3/,
    );
    expect(e.location?.row).toBe(2);
    // Earlier migrations stay; the failed one left nothing behind.
    expect(await readMigrationState(p)).toEqual({ version: 3, dirty: true });
    expect(await tableExists(p, "capabilities")).toBe(true);
    expect(await tableExists(p, "made_before_failure")).toBe(false);

    // A dirty primary is refused until an operator forces the real version.
    await expectCapgateError(migrate(p, { up: "all" }, { dir: folder.dir }), "migration_error", /dirty at version 3.*force/);
    await expectCapgateError(migrate(p, { down: 1 }, { dir: folder.dir }), "migration_error", /dirty/);
    expect((await migrationStatus(p, { dir: folder.dir })).state).toEqual({ version: 3, dirty: true });
    await forceVersion(p, 2, { dir: folder.dir });
    folder.write("000003_broken.up.sql", "CREATE TABLE made_before_failure (id int);\n");
    expect((await migrate(p, { up: "all" }, { dir: folder.dir })).to).toBe(3);
    expect(await tableExists(p, "made_before_failure")).toBe(true);
    expect(await readMigrationState(p)).toEqual({ version: 3, dirty: false });
  });

  it("an error without a position still names the file", async () => {
    const p = await fresh();
    folder = tempMigrations(0, {
      "000001_divide.up.sql": "CREATE TABLE t (id int);\nSELECT 1 / 0;\n",
      "000001_divide.down.sql": "DROP TABLE t;\n",
    });
    await expectCapgateError(
      migrate(p, { up: "all" }, { dir: folder.dir }),
      "migration_error",
      /000001_divide\.up\.sql: migration 1 up failed: division by zero/,
    );
    expect(await readMigrationState(p)).toEqual({ version: 1, dirty: true });
    expect(await tableExists(p, "t")).toBe(false);
  });

  it("a failing down is marked dirty at the version it was going to", async () => {
    const p = await fresh();
    folder = tempMigrations(1, {
      "000002_bad_down.up.sql": "CREATE TABLE kept (id int);\n",
      "000002_bad_down.down.sql": "DROP TABLE kept;\nDROP TABLE not_there;\n",
    });
    await migrate(p, { up: "all" }, { dir: folder.dir });
    await expectCapgateError(migrate(p, { down: 1 }, { dir: folder.dir }), "migration_error", /000002_bad_down\.down\.sql: migration 2 down failed: .*not_there.*force 2/);
    expect(await readMigrationState(p)).toEqual({ version: 1, dirty: true });
    expect(await tableExists(p, "kept")).toBe(true);
  });

  it("refuses a folder with a missing down, a gap, a stray name or a duplicate before touching the primary", async () => {
    const p = await fresh();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ "000001_a.up.sql": "SELECT 1;" }, /missing 000001_a\.down\.sql/],
      [{ "000001_a.down.sql": "SELECT 1;" }, /missing 000001_a\.up\.sql/],
      [
        { "000001_a.up.sql": "", "000001_a.down.sql": "", "000003_c.up.sql": "", "000003_c.down.sql": "" },
        /gap in migration numbering.*expected version 2, found 000003_c/,
      ],
      [{ "000002_b.up.sql": "", "000002_b.down.sql": "" }, /expected version 1, found 000002_b/],
      [{ "1_a.up.sql": "", "1_a.down.sql": "", "001_b.up.sql": "" }, /version 1 has two names/],
      [{ "000001_a.sql": "" }, /000001_a\.sql: file name is not NNNNNN_name/],
    ];
    for (const [files, pattern] of cases) {
      const f = tempMigrations(0, files);
      try {
        await expectCapgateError(migrate(p, { up: "all" }, { dir: f.dir }), "migration_error", pattern);
        await expectCapgateError(migrationStatus(p, { dir: f.dir }), "migration_error", pattern);
      } finally {
        f.remove();
      }
    }
    await expectCapgateError(migrate(p, { up: "all" }, { dir: "/nonexistent/capgate-migrations" }), "migration_error", /cannot read migrations folder.*ENOENT/);
    expect(await tableExists(p, "schema_migrations")).toBe(false);
  });

  it("refuses a primary that is ahead of the folder", async () => {
    const p = await fresh();
    await migrate(p, { up: 2 });
    folder = tempMigrations(1);
    await expectCapgateError(migrate(p, { up: "all" }, { dir: folder.dir }), "migration_error", /at version 2 but the migrations folder only goes up to 1/);
  });

  it("two runners at once end with one set of migrations applied", async () => {
    const p = await fresh();
    const [a, b] = await Promise.all([migrate(p, { up: "all" }), migrate(p, { up: "all" })]);
    expect([a.steps.length, b.steps.length].sort()).toEqual([0, LATEST]);
    expect(await readMigrationState(p)).toEqual({ version: LATEST, dirty: false });
    expect((await p.query("SELECT count(*)::int AS n FROM capabilities")).rows[0]).toEqual({ n: 3 });
  });

  if (engine === "postgres") {
    it("runners on separate connections that start while the lock is held: one applies, one finds nothing", async () => {
      const p = await fresh();
      const url = tp!.databaseUrl!;
      const [a, b] = [await openPrimary({ databaseUrl: url }), await openPrimary({ databaseUrl: url })];
      try {
        const db = (await p.query<{ db: string }>("SELECT current_database() AS db")).rows[0]!.db;
        const running = await p.withAdvisoryLock(migrationLockKey(db, "public"), async () => {
          const both = Promise.all([migrate(a, { up: "all" }), migrate(b, { up: "all" })]);
          // Wait until both runners are queued on the lock, so they really race.
          for (;;) {
            const w = await p.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = $1)",
              [db],
            );
            if (w.rows[0]!.n === 2) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          expect(await readMigrationState(p)).toEqual({ version: null, dirty: false });
          // Wrapped: returning the promise itself would make the lock holder wait for it.
          return { both };
        });
        const results = await running.both;
        expect(results.map((r) => r.steps.length).sort()).toEqual([0, LATEST]);
        expect(await readMigrationState(p)).toEqual({ version: LATEST, dirty: false });
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});
