// Set-up shared by the issue-14 hardening suites: a real primary migrated to
// the change log (the shipped migrations up to 5, whatever is being added
// after them) with the demo data, a replica built from it through snapshot
// export and apply, and capgate's own compilation of policies/ as the bundle.
import { join } from "node:path";
import { migrate } from "../../src/migrate/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import { applySnapshot, exportSnapshot } from "../../src/snapshot/index.js";
import { tempMigrations } from "../helpers/migrations-dir.js";
import { buildTestBundle, createTestPrimary, tempDir, type TestPrimary } from "./helpers.js";

export interface HardeningFixture {
  dir: string;
  db: TestPrimary;
  replica: string;
  bundle: string;
  remove(): Promise<void>;
}

export async function hardeningFixture(area: string): Promise<HardeningFixture> {
  const tmp = tempDir(`capgate-${area}-`);
  const db = await createTestPrimary(area);
  const migrations = tempMigrations(5);
  try {
    await migrate(db.primary, { up: "all" }, { dir: migrations.dir });
  } finally {
    migrations.remove();
  }
  await seedDemo(db.primary);
  const snap = join(tmp.dir, "demo.snapshot");
  await exportSnapshot(db.primary, snap);
  const replica = join(tmp.dir, "replica.db");
  await applySnapshot(snap, replica, { force: true });
  const bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), `${area}-rev`);
  return {
    dir: tmp.dir,
    db,
    replica,
    bundle,
    async remove() {
      await db.drop();
      tmp.remove();
    },
  };
}
