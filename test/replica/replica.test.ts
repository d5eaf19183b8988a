// The replica on its own: snapshots written by hand (so the file format is
// pinned independently of the exporter), reopening after a swap, refusing
// values of the wrong kind, and staleness input checks.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applySnapshot } from "../../src/snapshot/index.js";
import { openReplica, TABLES } from "../../src/replica/index.js";
import { replicaStatus, tenantFacts, userFacts } from "./lookups.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "capgate-replica-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A snapshot file from rows given per table; returns its path. */
function handMade(name: string, rows: Partial<Record<string, unknown[][]>>, watermark: number): string {
  const header = {
    format: "capgate-snapshot", format_version: 1, snapshot_id: `id-${name}`, schema_version: 5, watermark,
    taken_at: new Date(Date.UTC(2026, 0, 1) + watermark * 1000).toISOString(), source: "test",
    tables: TABLES.map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name), rows: rows[t.name]?.length ?? 0 })),
  };
  let body = JSON.stringify(header) + "\n";
  for (const t of TABLES) {
    body += JSON.stringify({ table: t.name }) + "\n";
    for (const r of rows[t.name] ?? []) body += JSON.stringify(r) + "\n";
  }
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  const file = join(dir, `${name}.snapshot`);
  writeFileSync(file, body + JSON.stringify({ end: "capgate-snapshot", digest, signature: null }) + "\n");
  return file;
}

const base = {
  tenants: [["acme", "Acme"]],
  users: [["alice", "acme", null, true]],
  capabilities: [["mfa", "feature", "MFA", { required: false }, true]],
  tenant_capabilities: [["acme", "mfa", { required: true }, "admin"]],
  tenant_features: [["acme", "mfa", true, "admin"]],
  user_capability_state: [["alice", "mfa", "enrolled", {}, "user"]],
};

it("applies a hand-written snapshot and answers lookups from it", async () => {
  const path = join(dir, "a.db");
  await applySnapshot(handMade("one", base, 1), path);
  const r = openReplica(path);
  expect(tenantFacts(r, "acme")).toEqual({
    tenant: { id: "acme", name: "Acme" }, capabilities: { mfa: { value: { required: true }, source: "admin" } }, features: { mfa: true },
  });
  expect(userFacts(r, "alice")).toEqual({
    user: { id: "alice", tenantId: "acme", email: null, mfaEnabled: true },
    capabilities: { mfa: { status: "enrolled", data: {}, source: "user" } },
  });
  r.close();
});

it("lets an open handle keep reading while a new snapshot is swapped in, and says it was replaced", async () => {
  const path = join(dir, "b.db");
  await applySnapshot(handMade("b1", base, 1), path);
  const old = openReplica(path);
  expect(old.replaced()).toBe(false);
  await applySnapshot(handMade("b2", { ...base, tenants: [["acme", "Acme 2"]] }, 2), path);
  expect(old.replaced()).toBe(true);
  expect(tenantFacts(old, "acme")?.tenant.name).toBe("Acme");
  old.close();
  const fresh = openReplica(path);
  expect(tenantFacts(fresh, "acme")?.tenant.name).toBe("Acme 2");
  // The previous generation is gone from the directory once nobody needs it.
  expect(existsSync(old.file)).toBe(false);
  fresh.close();
});

it("refuses a value of the wrong kind and keeps the old replica", async () => {
  const path = join(dir, "c.db");
  await applySnapshot(handMade("c1", base, 1), path);
  for (const [table, row] of [
    ["tenant_features", ["acme", "mfa", "yes", "admin"]],
    ["tenant_capabilities", ["acme", "mfa", "not an object", "admin"]],
    ["tenants", ["acme", 42]],
    ["tenants", ["acme"]],
  ] as const) {
    const bad = handMade(`c-${table}-${row.length}`, { ...base, [table]: [row] }, 2);
    await expect(applySnapshot(bad, path)).rejects.toThrow(new RegExp(`table ${table}`));
    const r = openReplica(path);
    expect(r.meta().snapshotId).toBe("id-c1");
    r.close();
  }
});

it("checks staleness input and reports a non-replica as missing", () => {
  expect(() => replicaStatus(join(dir, "a.db"), { maxStalenessMs: Number.NaN })).toThrow(/maxStalenessMs/);
  writeFileSync(join(dir, "junk.db"), "not sqlite at all, not even close.............................................................................");
  expect(replicaStatus(join(dir, "junk.db"), { maxStalenessMs: 1 }).status).toBe("missing");
});
