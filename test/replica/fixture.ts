// A fresh, fully migrated primary for one test: a uniquely named database on
// the real server when CAPGATE_TEST_DATABASE_URL is set, else an embedded
// PGlite directory. Also a scratch directory for replica and snapshot files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPrimary, type Primary } from "../../src/primary/index.js";
import { migrate } from "../../src/migrate/index.js";
import { freshPrimary as freshEmptyPrimary } from "../helpers/primary.js";

export const SERVER_URL = process.env["CAPGATE_TEST_DATABASE_URL"];

export interface TestPrimary {
  primary: Primary;
  /** The URL of this test's own database (server only). */
  url?: string;
  /** The PGlite data directory (embedded only). */
  dataDir?: string;
  /** Scratch directory for replicas and snapshots. */
  dir: string;
  /** Opens another handle on the same primary (server only; PGlite allows one per process). */
  reopen(): Promise<Primary>;
  close(): Promise<void>;
}

export async function freshPrimary(area: string): Promise<TestPrimary> {
  const dir = mkdtempSync(join(tmpdir(), `capgate-${area}-`));
  const t = await freshEmptyPrimary(area);
  const close = async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrate(t.primary, { up: "all" });
  } catch (e) {
    await close();
    throw e;
  }
  const url = t.databaseUrl;
  return {
    primary: t.primary,
    dir,
    close,
    ...(url === undefined
      ? { dataDir: t.dataDir!, reopen: () => Promise.reject(new Error("PGlite allows one handle per process")) }
      : { url, reopen: () => openPrimary({ databaseUrl: url }) }),
  };
}

/** A few tenants and users with capabilities, features and enrollment, plus legacy settings. */
export async function seedSample(p: Primary, n = 5): Promise<void> {
  await p.exec(`
    INSERT INTO tenants (id, name) SELECT 't' || i, 'Tenant ' || i FROM generate_series(1, ${n}) i;
    INSERT INTO users (id, tenant_id, email, mfa_enabled, mfa_secret)
      SELECT 'u' || i, 't' || (1 + i % ${n}), 'u' || i || '@example.com', i % 2 = 0, CASE WHEN i % 3 = 0 THEN 'JBSWY3DPEHPK3PXP' END
      FROM generate_series(1, ${n * 3}) i;
    INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
      SELECT 't' || i, 'max_token_ttl', jsonb_build_object('seconds', 600 * i), 'admin' FROM generate_series(1, ${n}) i;
    INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
      SELECT 't' || i, 'mfa', jsonb_build_object('required', i % 2 = 0), 'admin' FROM generate_series(1, ${n}) i;
    INSERT INTO tenant_features (tenant_id, feature_key, enabled, source)
      SELECT 't' || i, 'mfa', i % 2 = 0, 'admin' FROM generate_series(1, ${n}) i;
    INSERT INTO user_capability_state (user_id, capability_key, status, data, source)
      SELECT 'u' || i, 'mfa', 'enrolled', jsonb_build_object('since', '2026-01-0' || (1 + i % 9)), 'user' FROM generate_series(1, ${n * 3}) i WHERE i % 2 = 0;
  `);
}
