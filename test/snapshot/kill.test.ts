// Killing `snapshot apply` (SIGKILL, at random points) must always leave a
// replica that opens, passes SQLite's integrity check and holds exactly one
// of the two snapshots: the old one or the new one, never a mix.
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshPrimary, seedSample, type TestPrimary } from "../replica/fixture.js";
import { replicaRows, type TableRows } from "../replica/compare.js";
import { applySnapshot, exportSnapshot } from "../../src/snapshot/index.js";
import { openReplica } from "../../src/replica/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
// Runs the built dist/ (npm test builds it first), so each child starts in a fraction of a second.
const child = join(root, "test", "snapshot", "apply-child.mjs");

let tp: TestPrimary;
const snaps: { file: string; digest: string; rows: TableRows }[] = [];

beforeAll(async () => {
  tp = await freshPrimary("kill");
  await seedSample(tp.primary, 1500);
  for (const name of ["a", "b"]) {
    const file = join(tp.dir, `${name}.snapshot`);
    const info = await exportSnapshot(tp.primary, file);
    const probe = join(tp.dir, `probe-${name}.db`);
    await applySnapshot(file, probe);
    snaps.push({ file, digest: info.digest, rows: replicaRows(probe) });
    await tp.primary.exec("UPDATE tenants SET name = name || ' (renamed)'; DELETE FROM tenant_features WHERE tenant_id LIKE 't1%'");
  }
}, 600_000);
afterAll(async () => {
  await tp?.close();
});

/** Runs the child; kills it `delayMs` after it is ready. Resolves with whether it finished first. */
function runChild(file: string, replica: string, delayMs: number | undefined): Promise<{ finished: boolean; tookMs: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, file, replica], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let readyAt = 0;
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (readyAt === 0 && out.includes("ready")) {
        readyAt = Date.now();
        if (delayMs !== undefined) setTimeout(() => p.kill("SIGKILL"), delayMs);
      }
    });
    p.on("error", reject);
    p.on("exit", () => resolve({ finished: out.includes("done"), tookMs: Date.now() - readyAt }));
  });
}

it("leaves the old or the new replica, whole, whenever apply is killed", async () => {
  const replica = join(tp.dir, "victim.db");
  await applySnapshot(snaps[0]!.file, replica);
  // One uninterrupted run tells how long an apply takes here; kills land across that span.
  const full = await runChild(snaps[1]!.file, replica, undefined);
  expect(full.finished).toBe(true);
  let killedMidway = 0;
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 20; i++) {
    const target = snaps[i % 2]!;
    const before = openReplica(replica);
    const beforeDigest = before.meta().digest;
    before.close();
    const r = await runChild(target.file, replica, Math.floor(random() * full.tookMs * 1.1));
    if (!r.finished) killedMidway++;
    const rep = openReplica(replica);
    try {
      expect(rep.db.pragma("integrity_check", { simple: true })).toBe("ok");
      const digest = rep.meta().digest;
      expect([beforeDigest, target.digest]).toContain(digest);
      if (r.finished) expect(digest).toBe(target.digest);
      const expected = snaps.find((s) => s.digest === digest)!;
      expect(replicaRows(replica)).toEqual(expected.rows);
    } finally {
      rep.close();
    }
  }
  // The kills must actually have interrupted applies, or the test proves nothing.
  expect(killedMidway).toBeGreaterThan(5);
}, 1_200_000);
