// `npm run bench:migrate`: the data migration at scale. Builds a legacy primary
// with 100,000 tenants and 1,000,000 users in a database of its own on the
// local server (rows generated server-side with generate_series), runs the
// data migration through the runner, and prints rows per second and seconds.
// BENCH_DATABASE_URL picks the server; BENCH_TENANTS / BENCH_USERS shrink it.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { loadMigrations, defaultMigrationsDir, migrate } from "../src/migrate/index.js";
import { openPrimary, redactUrl } from "../src/primary/index.js";

const serverUrl =
  process.env["BENCH_DATABASE_URL"] ?? process.env["CAPGATE_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const tenants = Number(process.env["BENCH_TENANTS"] ?? 100_000);
const users = Number(process.env["BENCH_USERS"] ?? 1_000_000);

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

async function main(): Promise<void> {
  const dataMigration = loadMigrations(defaultMigrationsDir()).find((m) => m.name === "migrate_existing_capabilities");
  if (dataMigration === undefined) throw new Error("no migrate_existing_capabilities migration found");
  const V = dataMigration.version;
  const name = `capgate_bench_migrate_${randomBytes(4).toString("hex")}`;
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  await admin(`CREATE DATABASE ${name}`);
  const primary = await openPrimary({ databaseUrl: u.toString() });
  try {
    console.log(`server ${redactUrl(serverUrl)}, database ${name}`);
    await migrate(primary, { goto: V - 1 });

    let t0 = performance.now();
    // Shapes: 90% of tenants have a settings row; a third of those set a TTL,
    // a fifth require MFA. A quarter of users have MFA on, a third a secret.
    await primary.exec(`
      INSERT INTO tenants (id, name)
        SELECT 't' || i, 'Tenant ' || i FROM generate_series(1, ${tenants}) AS i;
      INSERT INTO tenant_settings (tenant_id, token_ttl_seconds, mfa_required)
        SELECT 't' || i, CASE WHEN i % 3 = 0 THEN 300 + (i % 10) * 60 END, i % 5 = 0
        FROM generate_series(1, ${tenants}) AS i WHERE i % 10 <> 0;
      INSERT INTO users (id, tenant_id, email, mfa_enabled, mfa_secret)
        SELECT 'u' || j, 't' || (1 + j % ${tenants}), 'user' || j || '@example.test', j % 4 = 0,
               CASE WHEN j % 3 = 0 THEN upper(md5(j::text)) END
        FROM generate_series(1, ${users}) AS j;
      ANALYZE;`);
    const legacyRows = (
      await primary.query<{ n: number }>(
        "SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM tenant_settings) + (SELECT count(*) FROM users) AS n",
      )
    ).rows[0]!.n;
    console.log(`legacy data: ${tenants} tenants, ${users} users (${legacyRows} rows) built in ${seconds(t0).toFixed(1)} s`);

    t0 = performance.now();
    await migrate(primary, { goto: V });
    const upSeconds = seconds(t0);
    const written = (
      await primary.query<{ tc: number; tf: number; us: number }>(
        `SELECT (SELECT count(*) FROM tenant_capabilities) AS tc, (SELECT count(*) FROM tenant_features) AS tf,
                (SELECT count(*) FROM user_capability_state) AS us`,
      )
    ).rows[0]!;
    const total = written.tc + written.tf + written.us;
    console.log(
      `data migration up: ${upSeconds.toFixed(2)} s, ${total} rows written ` +
        `(tenant_capabilities ${written.tc}, tenant_features ${written.tf}, user_capability_state ${written.us}), ` +
        `${Math.round(total / upSeconds)} rows/s written, ${Math.round(legacyRows / upSeconds)} legacy rows/s read`,
    );

    t0 = performance.now();
    await primary.exec(readFileSync(dataMigration.upFile, "utf8"));
    console.log(`second run of the up SQL (idempotent, writes nothing): ${seconds(t0).toFixed(2)} s`);

    t0 = performance.now();
    await migrate(primary, { goto: V - 1 });
    console.log(`data migration down: ${seconds(t0).toFixed(2)} s`);
    console.log(`target: up under 60 s — ${upSeconds < 60 ? "met" : "MISSED"} (${upSeconds.toFixed(2)} s)`);
  } finally {
    await primary.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:migrate failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
