// Set-up for the dashboard suites: a fresh primary (the PostgreSQL server of
// CAPGATE_TEST_DATABASE_URL in a database of its own, else PGlite) migrated
// through 000010 with the demo tenants and users, one admin token per role,
// and `capgate admin serve`'s server with the dashboard mounted, on an
// ephemeral loopback port. Optionally a sidecar that follows the primary
// (a `sync --follow` loop into its replica, the sidecar watching the file)
// and reports its status to the admin server.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createAdminToken, loadAdminConfig, startAdminServer, type RunningAdminServer } from "../../src/admin/index.js";
import { mountDashboard } from "../../src/admin/dashboard/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import { migrate } from "../../src/migrate/index.js";
import { openPrimary, type Primary } from "../../src/primary/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { follow } from "../../src/sync/index.js";
import { tempMigrations } from "../helpers/migrations-dir.js";
import { freshPrimary, type TestPrimary } from "../helpers/primary.js";
import { buildTestBundle, startTestServer, tempDir } from "../server/helpers.js";
import { waitFor } from "./wait.js";

export const DASHBOARD_VERSION = 10;

export interface DashboardTokens {
  operator: string;
  acmeAdmin: string;
  globexAdmin: string;
  viewer: string;
  sidecar: string;
}

export interface DashboardFixture {
  tp: TestPrimary;
  primary: Primary;
  admin: RunningAdminServer;
  url: string;
  tokens: DashboardTokens;
  /** Starts a sidecar following the primary and reporting to the admin server. */
  sidecar(id: string, statusIntervalSeconds?: number): Promise<RunningServer>;
  close(): Promise<void>;
}

export async function dashboardFixture(area: string): Promise<DashboardFixture> {
  const tp = await freshPrimary(`dash_${area}`);
  const tmp = tempDir("capgate-dashboard-");
  const stops: Array<() => Promise<void>> = [];
  try {
    const dir = tempMigrations(DASHBOARD_VERSION);
    try {
      await migrate(tp.primary, { goto: DASHBOARD_VERSION }, { dir: dir.dir });
    } finally {
      dir.remove();
    }
    await seedDemo(tp.primary);
    const make = async (role: string, name: string, tenant?: string) => (await createAdminToken(tp.primary, { role, name, tenant, actor: "test" })).token;
    const tokens: DashboardTokens = {
      operator: await make("operator", "ops-olivia"),
      acmeAdmin: await make("tenant-admin", "acme-admin", "acme"),
      globexAdmin: await make("tenant-admin", "globex-admin", "globex"),
      viewer: await make("viewer", "view-victor"),
      sidecar: await make("sidecar", "sidecar-fleet"),
    };
    const admin = await startAdminServer({
      config: loadAdminConfig({ flags: { port: 0, log_level: process.env["CAPGATE_TEST_LOG"] ?? "silent" } }),
      primary: tp.primary,
      extraRoutes: mountDashboard,
    });
    stops.push(() => admin.close());
    const bundle = await buildTestBundle(join(tmp.dir, "bundle.tar.gz"), "dash-rev-1");

    const sidecar = async (id: string, statusIntervalSeconds = 1): Promise<RunningServer> => {
      const replica = join(tmp.dir, `${id}.db`);
      const url = tp.databaseUrl;
      if (url === undefined) throw new Error("a following sidecar needs the PostgreSQL server: set CAPGATE_TEST_DATABASE_URL");
      const ac = new AbortController();
      let lastNote = "";
      const following = follow({
        connect: () => openPrimary({ databaseUrl: url, maxConnections: 1 }),
        listenUrl: url,
        replicaPath: replica,
        pollMs: 200,
        signal: ac.signal,
        onNote: (line) => {
          lastNote = line;
        },
      });
      stops.push(async () => {
        ac.abort();
        await following.catch(() => undefined);
      });
      await waitFor(() => existsSync(replica), "the follower's first snapshot").catch((e: Error) => {
        throw new Error(`${e.message} (last note: ${lastNote})`);
      });
      const server = await startTestServer(
        tmp.dir,
        { replica, bundle, watch: true, status: { url: admin.url, bearer: tokens.sidecar, interval_seconds: statusIntervalSeconds, id } },
        { watchIntervalMs: 100 },
      );
      stops.push(() => server.close());
      return server;
    };

    return {
      tp,
      primary: tp.primary,
      admin,
      url: admin.url,
      tokens,
      sidecar,
      close: async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        await tp.cleanup();
        tmp.remove();
      },
    };
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await tp.cleanup();
    tmp.remove();
    throw e;
  }
}
