// Gives a test a fresh primary of its own. With CAPGATE_TEST_DATABASE_URL set,
// a uniquely named database on that server (dropped afterwards); an unreachable
// server fails the test run loudly instead of skipping. Without it, a fresh
// PGlite data directory in a temp folder.
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { openPrimary, type Primary } from "../../src/primary/index.js";

export type Engine = "pglite" | "postgres";

export const SERVER_URL_VAR = "CAPGATE_TEST_DATABASE_URL";

export function serverUrl(): string | undefined {
  const url = process.env[SERVER_URL_VAR];
  return url === undefined || url === "" ? undefined : url;
}

/** The engines a scenario must pass on: always PGlite, plus the server when configured. */
export function testEngines(): Engine[] {
  return serverUrl() === undefined ? ["pglite"] : ["pglite", "postgres"];
}

/** The engine a test that runs once should use: the server when configured. */
export function defaultEngine(): Engine {
  return serverUrl() === undefined ? "pglite" : "postgres";
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function uniqueName(area: string): string {
  const clean = area.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
  return `capgate_test_${clean}_${randomBytes(5).toString("hex")}`;
}

async function adminQuery(sql: string): Promise<void> {
  const url = serverUrl();
  if (url === undefined) throw new Error(`${SERVER_URL_VAR} is not set`);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`${SERVER_URL_VAR}=${url} is unreachable: ${(e as Error).message || String(e)}`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new empty database on the test server. */
export async function createTestDatabase(area: string): Promise<TestDatabase> {
  const base = serverUrl();
  if (base === undefined) throw new Error(`${SERVER_URL_VAR} is not set`);
  const name = uniqueName(area);
  await adminQuery(`CREATE DATABASE ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

// initdb costs seconds under PGlite; a cluster initialised once and copied per
// test costs milliseconds. Keyed by PGlite's version so an upgrade re-inits.
async function pgliteTemplate(): Promise<string> {
  const pkg = new URL("../../node_modules/@electric-sql/pglite/package.json", import.meta.url);
  const version = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  const template = join(tmpdir(), `capgate-pglite-template-${version}`);
  if (existsSync(join(template, "PG_VERSION"))) return template;
  const building = `${template}.${process.pid}.${randomBytes(4).toString("hex")}`;
  const db = await PGlite.create(building);
  await db.close();
  try {
    renameSync(building, template);
  } catch {
    // Another test process won the race; its template is as good as ours.
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** A fresh, empty PGlite data directory (not opened). */
export async function createPgliteDir(): Promise<{ dataDir: string; remove(): void }> {
  const root = mkdtempSync(join(tmpdir(), "capgate-test-pglite-"));
  const dataDir = join(root, "primary");
  cpSync(await pgliteTemplate(), dataDir, { recursive: true });
  return { dataDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface TestPrimary {
  engine: Engine;
  primary: Primary;
  /** Set for the server engine. */
  databaseUrl?: string;
  /** Set for the PGlite engine. */
  dataDir?: string;
  /** Closes the primary and removes its database or directory. */
  cleanup(): Promise<void>;
}

/** A fresh primary on `engine` (default: the server when configured, else PGlite). */
export async function freshPrimary(area: string, engine: Engine = defaultEngine()): Promise<TestPrimary> {
  if (engine === "postgres") {
    const db = await createTestDatabase(area);
    let primary: Primary;
    try {
      primary = await openPrimary({ databaseUrl: db.url });
    } catch (e) {
      await db.drop();
      throw e;
    }
    return {
      engine,
      primary,
      databaseUrl: db.url,
      cleanup: async () => {
        await primary.close().catch(() => undefined);
        await db.drop();
      },
    };
  }
  const dir = await createPgliteDir();
  const primary = await openPrimary({ dataDir: dir.dataDir });
  return {
    engine,
    primary,
    dataDir: dir.dataDir,
    cleanup: async () => {
      await primary.close().catch(() => undefined);
      dir.remove();
    },
  };
}
