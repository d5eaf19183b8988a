// `npm run bench:admin`: the admin API on the local PostgreSQL server.
//   writes/s   PUT /admin/v1/tenants/{t}/capabilities/max_token_ttl over real
//              HTTP (auth, validation, one transaction with its audit row),
//              beside a floor: the same upsert and audit insert sent straight
//              to PostgreSQL at the same concurrency.
//   served     time from a PUT until a sidecar following the primary (the
//              sync --follow loop, default settings: LISTEN/NOTIFY + 1 s poll,
//              and a running sidecar with the compiled policies) answers
//              token.issue with the new TTL; beside a floor: the same change
//              written by SQL, which skips only the admin API.
// Uses its own database, dropped at the end. Figures, not assertions.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createAdminToken, loadAdminConfig, startAdminServer } from "../src/admin/index.js";
import { seedDemo } from "../src/demo/seed.js";
import { migrate } from "../src/migrate/index.js";
import { buildBundle } from "../src/policy/tools/index.js";
import { readSources } from "../src/policy/tools/sources.js";
import { openPrimary, type Primary } from "../src/primary/index.js";
import { loadConfig } from "../src/server/config.js";
import { startServer } from "../src/server/server.js";
import { exportSnapshot, applySnapshot } from "../src/snapshot/index.js";
import { follow } from "../src/sync/index.js";

const SERVER = process.env["CAPGATE_BENCH_DATABASE_URL"] ?? process.env["CAPGATE_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const TENANTS = Number(process.env["BENCH_TENANTS"] ?? 1000);
const WRITES = Number(process.env["BENCH_WRITES"] ?? 3000);
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 8);
const CHANGES = Number(process.env["BENCH_CHANGES"] ?? 100);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Runs `n` calls of `one(i)` with `c` in flight; returns wall time and each call's latency. */
async function pool(n: number, c: number, one: (i: number) => Promise<void>): Promise<{ wallMs: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await one(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  return { wallMs: performance.now() - t0, lat };
}

function line(label: string, r: { wallMs: number; lat: number[] }, n: number): string {
  return `${label.padEnd(34)} ${((n / r.wallMs) * 1000).toFixed(0).padStart(6)} writes/s   latency median ${ms(pct(r.lat, 50))}, p99 ${ms(pct(r.lat, 99))}`;
}

async function main(): Promise<void> {
  const name = `capgate_bench_admin_${randomBytes(4).toString("hex")}`;
  const root = new pg.Client({ connectionString: SERVER });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dir = mkdtempSync(join(tmpdir(), "capgate-bench-admin-"));
  let primary: Primary | undefined;
  const stops: Array<() => Promise<void>> = [];
  try {
    primary = await openPrimary({ databaseUrl: url });
    await migrate(primary, { up: "all" });
    await seedDemo(primary);
    await primary.exec(`INSERT INTO tenants (id, name) SELECT 'bt' || i, 'Bench ' || i FROM generate_series(1, ${TENANTS}) i`);
    await primary.exec("VACUUM ANALYZE");
    const tenants = Array.from({ length: TENANTS }, (_, i) => `bt${i + 1}`);

    const admin = await startAdminServer({ config: loadAdminConfig({ flags: { port: 0, log_level: "silent" } }), primary });
    stops.push(() => admin.close());
    const token = (await createAdminToken(primary, { role: "operator", name: "bench", actor: "bench" })).token;
    const put = async (tenant: string, seconds: number): Promise<void> => {
      const r = await fetch(`${admin.url}/admin/v1/tenants/${tenant}/capabilities/max_token_ttl`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ value: { seconds } }),
      });
      if (r.status !== 200) throw new Error(`PUT answered ${r.status}: ${await r.text()}`);
      await r.arrayBuffer();
    };

    // ---- writes per second, and the floor: the same statements without the API
    const floorPool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
    const floorWrite = async (tenant: string, seconds: number): Promise<void> => {
      const c = await floorPool.connect();
      try {
        await c.query("BEGIN");
        await c.query(
          `INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source) VALUES ($1, 'max_token_ttl', $2::jsonb, 'admin')
           ON CONFLICT (tenant_id, capability_key) DO UPDATE SET value = EXCLUDED.value, source = 'admin'`,
          [tenant, JSON.stringify({ seconds })],
        );
        await c.query("INSERT INTO admin_audit (actor, action, tenant_id, target, after) VALUES ('floor', 'capability.put', $1, 'floor', $2::jsonb)", [tenant, JSON.stringify({ seconds })]);
        await c.query("COMMIT");
      } finally {
        c.release();
      }
    };
    await pool(200, CONCURRENCY, (i) => put(tenants[i % TENANTS]!, 60 + (i % 1000)));
    await pool(200, CONCURRENCY, (i) => floorWrite(tenants[i % TENANTS]!, 60 + (i % 1000)));
    const floor = await pool(WRITES, CONCURRENCY, (i) => floorWrite(tenants[(i * 7) % TENANTS]!, 60 + (i % 1000)));
    const api = await pool(WRITES, CONCURRENCY, (i) => put(tenants[(i * 7) % TENANTS]!, 60 + (i % 1000)));
    await floorPool.end();

    // ---- PUT-to-served on a following sidecar
    const snap = join(dir, "base.cgs");
    const replica = join(dir, "replica.db");
    await exportSnapshot(primary, snap);
    await applySnapshot(snap, replica);
    const bundleFile = join(dir, "bundle.tar.gz");
    const built = await buildBundle({
      sources: readSources([join(import.meta.dirname, "..", "policies")]),
      entrypoints: ["capgate/token/issue", "capgate/token/validate", "capgate/mfa/requirement"],
      revision: "bench-admin",
    });
    writeFileSync(bundleFile, built.bundle);
    const sidecar = await startServer({
      config: loadConfig({ flags: { port: 0, replica, bundle: bundleFile, log_level: "silent", decision_log: "off", watch: true } }),
    });
    stops.push(() => sidecar.close());
    const ac = new AbortController();
    const following = follow({ connect: () => openPrimary({ databaseUrl: url, maxConnections: 1 }), listenUrl: url, replicaPath: replica, signal: ac.signal });
    stops.push(async () => {
      ac.abort();
      await following;
    });
    const served = async (): Promise<unknown> => {
      const r = await fetch(`${sidecar.url}/decide`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ decision: "token.issue", input: { tenant_id: "acme", user_id: "u-alice", token_type: "access", auth: { methods: ["pwd", "totp"] } } }),
      });
      return ((await r.json()) as { ttl_seconds?: unknown }).ttl_seconds;
    };
    const waitServed = async (want: number): Promise<void> => {
      for (let i = 0; i < 20_000; i++) {
        if ((await served()) === want) return;
        await new Promise((r) => setTimeout(r, 2));
      }
      throw new Error(`never served ${want}`);
    };
    const sqlChange = new pg.Client({ connectionString: url });
    await sqlChange.connect();
    stops.push(() => sqlChange.end());
    const viaApi: number[] = [];
    const viaSql: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      // Alternate so each side sees the same mix of moments within the poll interval.
      const seconds = 600 + i * 2;
      let t = performance.now();
      await put("acme", seconds);
      await waitServed(seconds);
      viaApi.push(performance.now() - t);
      t = performance.now();
      await sqlChange.query("UPDATE tenant_capabilities SET value = $1::jsonb, source = 'admin' WHERE tenant_id = 'acme' AND capability_key = 'max_token_ttl'", [JSON.stringify({ seconds: seconds + 1 })]);
      await waitServed(seconds + 1);
      viaSql.push(performance.now() - t);
    }

    console.log(`capgate admin API bench: PostgreSQL ${SERVER.replace(/\/\/[^@]*@/, "//")}, ${TENANTS} tenants, ${WRITES} writes at concurrency ${CONCURRENCY}, ${CHANGES} changes served`);
    console.log(line("floor (same SQL, no API)", floor, WRITES));
    console.log(line("PUT through the API", api, WRITES) + `   (${((api.wallMs / floor.wallMs) * 100).toFixed(0)}% of the floor's time; target >= 500 writes/s)`);
    console.log(`${"floor: SQL UPDATE to served".padEnd(34)} median ${ms(pct(viaSql, 50))}, p99 ${ms(pct(viaSql, 99))}, max ${ms(Math.max(...viaSql))}`);
    console.log(`${"PUT to served (following sidecar)".padEnd(34)} median ${ms(pct(viaApi, 50))}, p99 ${ms(pct(viaApi, 99))}, max ${ms(Math.max(...viaApi))}   (target p99 < 1500 ms)`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await primary?.close();
    await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await root.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
