// `npm run bench:replica`: export, apply and follow-mode lag on the local
// PostgreSQL server with 100,000 tenants and 1,000,000 user capability rows,
// next to the raw floor (`COPY ... TO STDOUT` of the same rows, same run).
// Uses its own database, dropped at the end. Figures, not assertions.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { openPrimary } from "../src/primary/index.js";
import { migrate } from "../src/migrate/index.js";
import { exportSnapshot, applySnapshot } from "../src/snapshot/index.js";
import { follow } from "../src/sync/index.js";
import { TABLES } from "../src/replica/tables.js";

const SERVER = process.env["CAPGATE_BENCH_DATABASE_URL"] ?? process.env["CAPGATE_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const TENANTS = Number(process.env["BENCH_TENANTS"] ?? 100_000);
const USERS = Number(process.env["BENCH_USERS"] ?? 500_000); // two capability rows each
const UPDATES = Number(process.env["BENCH_UPDATES"] ?? 1000);

const secs = (ms: number): string => (ms / 1000).toFixed(2);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  const name = `capgate_bench_replica_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dir = mkdtempSync(join(tmpdir(), "capgate-bench-"));
  const primary = await openPrimary({ databaseUrl: url });
  try {
    await migrate(primary, { up: "all" });
    let t = Date.now();
    // Seeding bypasses triggers (replica role): the change log is for changes, not the initial load.
    await primary.transaction(async (tx) => {
      await tx.exec(`
        SET LOCAL session_replication_role = replica;
        INSERT INTO tenants (id, name) SELECT 't' || i, 'Tenant ' || i FROM generate_series(1, ${TENANTS}) i;
        INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
          SELECT 't' || i, 'max_token_ttl', jsonb_build_object('seconds', 300 + i % 3600), 'admin' FROM generate_series(1, ${TENANTS}) i;
        INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
          SELECT 't' || i, 'mfa', jsonb_build_object('required', i % 3 = 0), 'migrated' FROM generate_series(1, ${TENANTS}) i;
        INSERT INTO tenant_features (tenant_id, feature_key, enabled, source)
          SELECT 't' || i, 'mfa', i % 3 = 0, 'migrated' FROM generate_series(1, ${TENANTS}) i;
        INSERT INTO users (id, tenant_id, email, mfa_enabled)
          SELECT 'u' || i, 't' || (1 + i % ${TENANTS}), 'user' || i || '@example.com', i % 2 = 0 FROM generate_series(1, ${USERS}) i;
        INSERT INTO user_capability_state (user_id, capability_key, status, data, source)
          SELECT 'u' || i, k, 'enrolled', '{}'::jsonb, 'migrated' FROM generate_series(1, ${USERS}) i, (VALUES ('mfa'), ('totp')) v(k);
      `);
    });
    await primary.exec("VACUUM ANALYZE");
    const counts: Record<string, number> = {};
    for (const tb of TABLES) counts[tb.name] = Number((await primary.query(`SELECT count(*) AS n FROM ${tb.name}`)).rows[0]!["n"]);
    const totalRows = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`seeded in ${secs(Date.now() - t)} s: ${JSON.stringify(counts)} (${totalRows} rows)`);

    // The floor: the same columns and order as the export, straight out of COPY, discarded.
    const copies = TABLES.flatMap((tb) => [
      "-c",
      `COPY (SELECT ${tb.columns.map((c) => c.name).join(", ")} FROM ${tb.name} ORDER BY ${tb.key.join(", ")}) TO STDOUT`,
    ]);
    t = Date.now();
    execFileSync("psql", ["-X", "-q", url, ...copies], { stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1 << 30 });
    const floorMs = Date.now() - t;

    const file = join(dir, "bench.snapshot");
    t = Date.now();
    const info = await exportSnapshot(primary, file);
    const exportMs = Date.now() - t;
    const size = statSync(file).size;

    const replica = join(dir, "replica.db");
    t = Date.now();
    await applySnapshot(file, replica);
    const applyMs = Date.now() - t;

    // Follow-mode lag: commit of a single-row update until the replica shows it.
    const ac = new AbortController();
    const running = follow({
      connect: () => openPrimary({ databaseUrl: url, maxConnections: 1 }),
      listenUrl: url,
      replicaPath: replica,
      pollMs: 1000,
      signal: ac.signal,
    });
    const reader = new Database(replica, { readonly: true });
    const look = reader.prepare("SELECT name FROM tenants WHERE id = ?").pluck();
    const lags: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const id = `t${1 + ((i * 7919) % TENANTS)}`;
      const want = `bench ${i}`;
      await primary.query("UPDATE tenants SET name = $1 WHERE id = $2", [want, id]);
      const committed = performance.now();
      while (look.get(id) !== want) await new Promise((r) => setTimeout(r, 1));
      lags.push(performance.now() - committed);
    }
    reader.close();
    ac.abort();
    await running;

    console.log(`rows:                 ${totalRows} (${counts["user_capability_state"]} user capability rows, ${counts["tenants"]} tenants)`);
    console.log(`export:               ${secs(exportMs)} s, ${Math.round(totalRows / (exportMs / 1000))} rows/s`);
    console.log(`COPY floor:           ${secs(floorMs)} s (export / floor = ${(exportMs / floorMs).toFixed(2)})`);
    console.log(`apply:                ${secs(applyMs)} s`);
    console.log(`export + apply:       ${secs(exportMs + applyMs)} s (target < 30 s)`);
    console.log(`snapshot size:        ${(size / 1e6).toFixed(1)} MB (${info.digest.slice(0, 19)}...)`);
    console.log(`follow lag (${UPDATES} updates): median ${pct(lags, 50).toFixed(1)} ms, p99 ${pct(lags, 99).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms (target p99 < 500 ms)`);
  } finally {
    await primary.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
