// The migration runner: brings the primary to a target version one migration
// at a time, under an advisory lock, each migration in its own transaction.
// Before a step the state is marked dirty at the step's target version (as
// golang-migrate does); the step's SQL and the clean mark commit together, so a
// failure leaves the table dirty at that version with everything earlier applied.
import { relative, isAbsolute } from "node:path";
import { CapgateError, type SourceLocation } from "../errors.js";
import { driverErrorFacts } from "../primary/errors.js";
import type { Primary, PrimarySession, Queryable } from "../primary/types.js";
import { defaultMigrationsDir, loadMigrations, readMigrationSql, type Migration } from "./files.js";
import { migrationLockKey } from "./lock-key.js";
import {
  ensureMigrationsTable,
  MIGRATIONS_TABLE,
  readMigrationState,
  writeMigrationState,
  type MigrationState,
} from "./state.js";

export type MigrateTarget =
  | { up: number | "all" }
  | { down: number | "all" }
  /** A version to end at; 0 means none applied. */
  | { goto: number };

export interface MigrateOptions {
  /** Migrations folder (default: the one shipped with capgate). */
  dir?: string;
  /** Called with one line per step applied. */
  log?: (line: string) => void;
}

export interface MigrationStep {
  version: number;
  name: string;
  direction: "up" | "down";
  file: string;
  /** Version recorded once the step has committed (null: none). */
  resultVersion: number | null;
}

export interface MigrateResult {
  from: number | null;
  to: number | null;
  steps: MigrationStep[];
}

export interface MigrationStatus {
  location: string;
  dir: string;
  state: MigrationState;
  latest: number | null;
  migrations: Array<Migration & { applied: boolean }>;
}

export function migrationLabel(m: Migration): string {
  return `${String(m.version).padStart(6, "0")}_${m.name}`;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

function lineCol(sql: string, position: number): { row: number; col: number } {
  const before = sql.slice(0, position - 1);
  const lines = before.split("\n");
  return { row: lines.length, col: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

function forceHint(version: number | null): string {
  return `capgate migrate force ${version ?? 0}`;
}

function dirtyError(state: MigrationState): CapgateError {
  return new CapgateError(
    "migration_error",
    `database is dirty at version ${state.version ?? "none"}: an earlier migration failed; ` +
      `check the schema, then run '${forceHint(state.version)}' with the version it is really at`,
    { details: { version: state.version, dirty: true } },
  );
}

function plan(migrations: Migration[], current: number | null, target: MigrateTarget): MigrationStep[] {
  const cur = current ?? 0;
  const latest = migrations.length;
  if (cur > latest) {
    throw new CapgateError(
      "migration_error",
      `database is at version ${cur} but the migrations folder only goes up to ${latest}; is this capgate too old?`,
    );
  }
  const up = (from: number, to: number): MigrationStep[] =>
    migrations
      .filter((m) => m.version > from && m.version <= to)
      .map((m) => ({ version: m.version, name: m.name, direction: "up", file: m.upFile, resultVersion: m.version }));
  const down = (from: number, to: number): MigrationStep[] =>
    migrations
      .filter((m) => m.version <= from && m.version > to)
      .reverse()
      .map((m) => ({
        version: m.version,
        name: m.name,
        direction: "down",
        file: m.downFile,
        resultVersion: m.version > 1 ? m.version - 1 : null,
      }));

  if ("up" in target) {
    const pending = latest - cur;
    if (target.up === "all") return up(cur, latest);
    if (target.up > pending) {
      throw new CapgateError(
        "migration_error",
        `cannot apply ${target.up} migration(s): only ${pending} pending (database at version ${current ?? "none"})`,
      );
    }
    return up(cur, cur + target.up);
  }
  if ("down" in target) {
    if (target.down === "all") return down(cur, 0);
    if (target.down > cur) {
      throw new CapgateError(
        "migration_error",
        `cannot revert ${target.down} migration(s): only ${cur} applied (database at version ${current ?? "none"})`,
      );
    }
    return down(cur, cur - target.down);
  }
  if (target.goto < 0 || target.goto > latest || !Number.isSafeInteger(target.goto)) {
    throw new CapgateError(
      "migration_error",
      `no migration version ${target.goto} (the folder has 1..${latest}; 0 means none applied)`,
    );
  }
  return target.goto >= cur ? up(cur, target.goto) : down(cur, target.goto);
}

function stepError(step: MigrationStep, sql: string, e: unknown): CapgateError {
  const facts = driverErrorFacts(e);
  const file = displayPath(step.file);
  const location: SourceLocation | undefined =
    facts.position !== undefined ? { file, ...lineCol(sql, facts.position) } : undefined;
  const sqlstate = facts.sqlstate ? ` (SQLSTATE ${facts.sqlstate})` : "";
  const detail = facts.detail ? ` [${facts.detail}]` : "";
  // The step ran in a transaction, so the schema is still where it was before it.
  const realVersion = step.direction === "up" ? (step.version > 1 ? step.version - 1 : null) : step.version;
  const where = location ? "" : `${file}: `;
  return new CapgateError(
    "migration_error",
    `${where}migration ${step.version} ${step.direction} failed: ${facts.message}${sqlstate}${detail}; ` +
      `rolled back and marked dirty at version ${step.resultVersion ?? "none"} — fix the file, run ` +
      `'${forceHint(realVersion)}', then migrate again`,
    { cause: e, details: { version: step.version, direction: step.direction, file: step.file }, ...(location ? { location } : {}) },
  );
}

async function runStep(session: PrimarySession, step: MigrationStep): Promise<void> {
  const sql = readMigrationSql(step.file);
  // Committed on its own so that a crash during the step leaves the mark behind.
  await session.transaction((tx) => writeMigrationState(tx, step.resultVersion, true));
  try {
    await session.transaction(async (tx: Queryable) => {
      await tx.exec(sql);
      await writeMigrationState(tx, step.resultVersion, false);
    });
  } catch (e) {
    throw stepError(step, sql, e);
  }
}

async function lockKeyFor(primary: Primary): Promise<bigint> {
  const r = await primary.query<{ db: string; schema: string | null }>(
    "SELECT current_database() AS db, current_schema() AS schema",
  );
  const row = r.rows[0];
  return migrationLockKey(row?.db ?? "", row?.schema ?? "public", MIGRATIONS_TABLE);
}

/** Runs `fn` holding the migration lock, with the migrations table present. */
async function locked<T>(primary: Primary, fn: (session: PrimarySession) => Promise<T>): Promise<T> {
  const key = await lockKeyFor(primary);
  return primary.withAdvisoryLock(key, async (session) => {
    await ensureMigrationsTable(session);
    return fn(session);
  });
}

/** Moves the primary to `target`; returns the steps it applied (none when already there). */
export async function migrate(primary: Primary, target: MigrateTarget, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = loadMigrations(options.dir ?? defaultMigrationsDir());
  return locked(primary, async (session) => {
    // Read under the lock: a runner that waited finds the work already done.
    const state = await readMigrationState(session);
    if (state.dirty) throw dirtyError(state);
    const steps = plan(migrations, state.version, target);
    let to = state.version;
    for (const step of steps) {
      const t0 = performance.now();
      await runStep(session, step);
      to = step.resultVersion;
      options.log?.(
        `${step.direction === "up" ? "applied" : "reverted"} ${displayPath(step.file)} ` +
          `(${Math.round(performance.now() - t0)} ms)`,
      );
    }
    return { from: state.version, to, steps };
  });
}

/** Records `version` (null: none) as applied and clean without running anything: the way out of a dirty state. */
export async function forceVersion(primary: Primary, version: number | null, options: MigrateOptions = {}): Promise<void> {
  const migrations = loadMigrations(options.dir ?? defaultMigrationsDir());
  if (version !== null && !migrations.some((m) => m.version === version)) {
    throw new CapgateError(
      "migration_error",
      `no migration version ${version} (the folder has 1..${migrations.length}; 0 means none applied)`,
    );
  }
  await locked(primary, (session) => session.transaction((tx) => writeMigrationState(tx, version, false)));
}

/** The applied version and each migration's state; reads only (creates nothing). */
export async function migrationStatus(primary: Primary, options: MigrateOptions = {}): Promise<MigrationStatus> {
  const dir = options.dir ?? defaultMigrationsDir();
  const migrations = loadMigrations(dir);
  const state = await readMigrationState(primary);
  const cur = state.version ?? 0;
  return {
    location: primary.location,
    dir,
    state,
    latest: migrations.length > 0 ? migrations.length : null,
    migrations: migrations.map((m) => ({ ...m, applied: m.version <= cur })),
  };
}
