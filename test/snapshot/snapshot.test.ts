// Snapshot export, verify and apply against a real primary (server or PGlite)
// and real SQLite files: the round trip, signatures, and every refusal leaving
// the old replica serving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, readFileSync, truncateSync, writeFileSync, statSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { freshPrimary, seedSample, type TestPrimary } from "../replica/fixture.js";
import { primaryRows, replicaRows } from "../replica/compare.js";
import {
  applySnapshot, exportSnapshot, generateSigningKeys, inspectSnapshot, loadSigningKey, loadVerifyKey, verifySnapshot,
} from "../../src/snapshot/index.js";
import { openReplica } from "../../src/replica/index.js";
import { replicaStatus, tenantFacts, userFacts } from "../replica/lookups.js";
import { CapgateError } from "../../src/errors.js";
import { loadMigrations } from "../../src/migrate/index.js";
import { SHIPPED_MIGRATIONS } from "../helpers/migrations-dir.js";

/** The fixture migrates the primary all the way; the snapshot records that version. */
const LATEST = loadMigrations(SHIPPED_MIGRATIONS).length;

let tp: TestPrimary;
let dir: string;

beforeAll(async () => {
  tp = await freshPrimary("snapshot");
  dir = tp.dir;
  await seedSample(tp.primary, 7);
});
afterAll(async () => {
  await tp?.close();
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CapgateError);
    const msg = (e as CapgateError).message;
    expect(msg.includes("\n")).toBe(false);
    return msg;
  }
  throw new Error("expected a refusal");
}

describe("export and apply", () => {
  it("round-trips the primary row for row, without mfa_secret", async () => {
    const file = join(dir, "a.snapshot");
    const info = await exportSnapshot(tp.primary, file);
    expect(info.header.schema_version).toBe(LATEST);
    expect(readFileSync(file, "utf8")).not.toContain("JBSWY3DPEHPK3PXP");
    const replica = join(dir, "rt.db");
    const r = await applySnapshot(file, replica);
    expect(r.meta.digest).toBe(info.digest);
    expect(replicaRows(replica)).toEqual(await primaryRows(tp.primary));
    const db = new Database(replica, { readonly: true });
    expect(db.prepare("SELECT name FROM pragma_table_info('users')").pluck().all()).not.toContain("mfa_secret");
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("serves a tenant's and a user's facts from the replica", async () => {
    const file = join(dir, "facts.snapshot");
    await exportSnapshot(tp.primary, file);
    const path = join(dir, "facts.db");
    await applySnapshot(file, path);
    const rep = openReplica(path);
    try {
      const t = tenantFacts(rep, "t2")!;
      expect(t.tenant).toEqual({ id: "t2", name: "Tenant 2" });
      expect(t.capabilities["max_token_ttl"]).toEqual({ value: { seconds: 1200 }, source: "admin" });
      expect(t.capabilities["mfa"]?.value).toEqual({ required: true });
      expect(t.features).toEqual({ mfa: true });
      expect(tenantFacts(rep, "nope")).toBeUndefined();
      const u = userFacts(rep, "u4")!;
      expect(u.user).toEqual({ id: "u4", tenantId: "t5", email: "u4@example.com", mfaEnabled: true });
      expect(u.capabilities["mfa"]?.status).toBe("enrolled");
      expect(userFacts(rep, "u3")!.capabilities).toEqual({});
      expect(userFacts(rep, "ghost")).toBeUndefined();
      expect(rep.catalog()["max_token_ttl"]?.defaultValue).toEqual({ seconds: 3600 });
      const plan = rep.db.prepare("EXPLAIN QUERY PLAN SELECT * FROM user_capability_state WHERE user_id = ?").all("u4") as { detail: string }[];
      expect(plan.map((p) => p.detail).join(" ")).toMatch(/USING PRIMARY KEY/);
    } finally {
      rep.close();
    }
  });

  for (const [alg, format] of [["ES256", "pem"], ["EdDSA", "jwk"]] as const) {
    it(`signs with ${alg} (${format}) and verifies only with the matching key`, async () => {
      const keys = await generateSigningKeys(join(dir, `k-${alg}`), { alg, format, kid: "k1" });
      const other = await generateSigningKeys(join(dir, `o-${alg}`), { alg, format });
      const file = join(dir, `signed-${alg}.snapshot`);
      await exportSnapshot(tp.primary, file, { signKey: loadSigningKey(keys.privateFile) });
      const ok = await verifySnapshot(file, { key: loadVerifyKey(keys.publicFile) });
      expect(ok.signatureVerified).toBe(true);
      expect(ok.alg).toBe(alg);
      expect(ok.kid).toBe(format === "jwk" ? "k1" : undefined);
      expect(await refusal(verifySnapshot(file, { key: loadVerifyKey(other.publicFile) }))).toMatch(/signature does not verify/);
      // A private key file also verifies (its public half is derived).
      expect((await verifySnapshot(file, { key: loadVerifyKey(keys.privateFile) })).signatureVerified).toBe(true);
    });
  }

  it("refuses bad key files with one line", () => {
    const f = join(dir, "junk.pem");
    writeFileSync(f, "not a key");
    expect(() => loadVerifyKey(f)).toThrow(/not a usable public key/);
    expect(() => loadSigningKey(join(dir, "missing.pem"))).toThrow(/cannot read key file/);
  });
});

describe("refusals keep the old replica serving", () => {
  let replica: string;
  let good: string;
  let goodDigest: string;
  let keyPub: string;
  let signed: string;

  beforeAll(async () => {
    const keys = await generateSigningKeys(join(dir, "rk"), { alg: "EdDSA", format: "pem" });
    keyPub = keys.publicFile;
    good = join(dir, "good.snapshot");
    goodDigest = (await exportSnapshot(tp.primary, good)).digest;
    signed = join(dir, "signed.snapshot");
    await exportSnapshot(tp.primary, signed, { signKey: loadSigningKey(keys.privateFile) });
    replica = join(dir, "serving.db");
    await applySnapshot(good, replica);
  });

  async function expectStillServing(): Promise<void> {
    const rep = openReplica(replica);
    try {
      expect(rep.meta().digest).toBe(goodDigest);
      expect(tenantFacts(rep, "t1")?.tenant.name).toBe("Tenant 1");
    } finally {
      rep.close();
    }
    expect(replicaRows(replica)).toEqual(await primaryRows(tp.primary));
    // No scratch files left beside the replica.
    expect(readdirSync(dir).filter((n) => n.startsWith("serving.db.tmp-"))).toEqual([]);
  }

  it("refuses a flipped byte anywhere in the content", async () => {
    const size = statSync(good).size;
    for (const at of [5, Math.floor(size / 3), Math.floor(size / 2), size - 150]) {
      const bad = join(dir, `flip-${at}.snapshot`);
      const buf = readFileSync(good);
      buf[at] = buf[at]! ^ 0x01;
      writeFileSync(bad, buf);
      const msg = await refusal(applySnapshot(bad, replica));
      expect(msg).toContain(bad);
      await refusal(verifySnapshot(bad));
      await expectStillServing();
    }
  });

  it("refuses a truncated file", async () => {
    const size = statSync(good).size;
    for (const len of [0, 40, Math.floor(size / 2), size - 1, size - 20]) {
      const bad = join(dir, `trunc-${len}.snapshot`);
      copyFileSync(good, bad);
      truncateSync(bad, len);
      await refusal(applySnapshot(bad, replica));
      await expectStillServing();
    }
  });

  it("refuses a wrong or missing signature when a key is required", async () => {
    const stranger = await generateSigningKeys(join(dir, "stranger"), { alg: "EdDSA", format: "pem" });
    expect(await refusal(applySnapshot(signed, replica, { key: loadVerifyKey(stranger.publicFile) }))).toMatch(/signature does not verify/);
    await expectStillServing();
    expect(await refusal(applySnapshot(good, replica, { key: loadVerifyKey(keyPub) }))).toMatch(/not signed/);
    await expectStillServing();
    // A signature moved onto other content: the digest no longer matches what it signs.
    const swapped = join(dir, "swapped.snapshot");
    const goodLines = readFileSync(good, "utf8").trimEnd().split("\n");
    const sigLine = JSON.parse(readFileSync(signed, "utf8").trimEnd().split("\n").pop()!) as { signature: string };
    const trailer = JSON.parse(goodLines.pop()!) as Record<string, unknown>;
    writeFileSync(swapped, goodLines.join("\n") + "\n" + JSON.stringify({ ...trailer, signature: sigLine.signature }) + "\n");
    expect(await refusal(applySnapshot(swapped, replica, { key: loadVerifyKey(keyPub) }))).toMatch(/signs a different snapshot/);
    await expectStillServing();
  });

  it("refuses an unsupported schema version and an older snapshot unless forced", async () => {
    const lines = readFileSync(good, "utf8").split("\n");
    const h = JSON.parse(lines[0]!) as Record<string, unknown>;
    const future = join(dir, "future.snapshot");
    writeFileSync(future, [JSON.stringify({ ...h, schema_version: 99 }), ...lines.slice(1)].join("\n"));
    expect(await refusal(applySnapshot(future, replica))).toMatch(/schema version 99 is not supported/);
    await expectStillServing();

    await tp.primary.exec("UPDATE tenants SET name = 'Renamed' WHERE id = 't7'");
    const newer = join(dir, "newer.snapshot");
    await exportSnapshot(tp.primary, newer);
    const fresh = join(dir, "newer.db");
    await applySnapshot(newer, fresh);
    expect(await refusal(applySnapshot(good, fresh))).toMatch(/older than the replica.*--force/);
    const r = await applySnapshot(good, fresh, { force: true });
    expect(r.meta.digest).toBe(goodDigest);
    await tp.primary.exec("UPDATE tenants SET name = 'Tenant 7' WHERE id = 't7'");
  });

  it("refuses what is not a snapshot at all", async () => {
    const junk = join(dir, "junk.snapshot");
    writeFileSync(junk, "hello\nworld\n");
    expect(await refusal(applySnapshot(junk, replica))).toMatch(/not a capgate snapshot/);
    expect(await refusal(applySnapshot(join(dir, "absent.snapshot"), replica))).toMatch(/cannot open/);
    expect(() => inspectSnapshot(junk)).toThrow(/not a capgate snapshot/);
    await expectStillServing();
  });
});

describe("staleness", () => {
  it("is missing without a replica, current when fresh, stale when old", async () => {
    expect(replicaStatus(join(dir, "nothing.db"), { maxStalenessMs: 1000 }).status).toBe("missing");
    const notReplica = join(dir, "plain.db");
    new Database(notReplica).close();
    expect(replicaStatus(notReplica, { maxStalenessMs: 1000 })).toMatchObject({ status: "missing" });
    const file = join(dir, "st.snapshot");
    const info = await exportSnapshot(tp.primary, file);
    const path = join(dir, "st.db");
    await applySnapshot(file, path);
    const takenAt = Date.parse(info.header.taken_at);
    expect(replicaStatus(path, { maxStalenessMs: 60_000, now: takenAt + 1000 })).toMatchObject({ status: "current", age_seconds: 1 });
    const stale = replicaStatus(path, { maxStalenessMs: 60_000, now: takenAt + 61_000 });
    expect(stale.status).toBe("stale");
    expect(stale.detail).toMatch(/61000 ms ago/);
    expect(existsSync(path)).toBe(true);
  });
});
