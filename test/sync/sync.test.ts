// The change feed against a real primary (server or PGlite) and real SQLite
// files: one-shot sync, follow mode over every mirrored table, a primary
// connection loss during follow, pruning, and the mfa_secret rule.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { existsSync } from "node:fs";
import pg from "pg";
import { freshPrimary, seedSample, type TestPrimary } from "../replica/fixture.js";
import { primaryRows, replicaRows } from "../replica/compare.js";
import { exportSnapshot, applySnapshot } from "../../src/snapshot/index.js";
import { follow, parseDuration, pruneChangeLog, ReplicaWriter, syncOnce, type SyncResult } from "../../src/sync/index.js";
import { openPrimary, type Primary } from "../../src/primary/index.js";
import { openReplica } from "../../src/replica/index.js";
import { tenantFacts, userFacts } from "../replica/lookups.js";
import { MIRRORED_EDITS } from "../helpers/mirrored-edits.js";

let tp: TestPrimary;
let replica: string;

beforeEach(async () => {
  tp = await freshPrimary("sync");
  await seedSample(tp.primary, 4);
  replica = join(tp.dir, "replica.db");
  const file = join(tp.dir, "base.snapshot");
  await exportSnapshot(tp.primary, file);
  await applySnapshot(file, replica);
});
afterEach(async () => {
  await tp?.close();
});

/** Waits (without a time assertion) until `check` holds; gives up after a generous bound. */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

const sameAsPrimary = async (): Promise<boolean> =>
  JSON.stringify(replicaRows(replica)) === JSON.stringify(await primaryRows(tp.primary));

describe("sync once", () => {
  it("applies insert, update and delete on every table and moves the watermark", async () => {
    const writer = new ReplicaWriter(replica);
    try {
      expect(await syncOnce(tp.primary, writer)).toMatchObject({ applied: 0 });
      for (const sql of MIRRORED_EDITS) await tp.primary.exec(sql);
      const r = await syncOnce(tp.primary, writer);
      expect(r.applied).toBeGreaterThanOrEqual(MIRRORED_EDITS.length);
      expect(await sameAsPrimary()).toBe(true);
      const rep = openReplica(replica);
      expect(rep.meta().watermark).toBe(r.watermark);
      // A pass renews the confirmed-current time beyond the snapshot's.
      expect(Date.parse(rep.meta().confirmedAt)).toBeGreaterThan(Date.parse(rep.meta().takenAt));
      expect(rep.status({ maxStalenessMs: 60_000, now: Date.parse(rep.meta().confirmedAt) + 10 }).status).toBe("current");
      expect(userFacts(rep, "un")?.capabilities["totp"]?.status).toBe("enrolled");
      expect(tenantFacts(rep, "t4")).toBeUndefined();
      rep.close();
      expect(await syncOnce(tp.primary, writer)).toMatchObject({ applied: 0, watermark: r.watermark });
    } finally {
      writer.close();
    }
  });

  it("never puts mfa_secret in the change log or the replica", async () => {
    await tp.primary.exec("UPDATE users SET mfa_secret = 'TOPSECRETVALUE' WHERE id = 'u1'");
    const log = await tp.primary.query("SELECT row_data::text AS t FROM capgate_change_log");
    expect(log.rows.length).toBeGreaterThan(0);
    for (const row of log.rows) expect(String(row["t"])).not.toContain("TOPSECRETVALUE");
  });

  it("keys a renamed row correctly (update of a primary key)", async () => {
    await tp.primary.exec("INSERT INTO tenants (id, name) VALUES ('old', 'O'); UPDATE tenants SET id = 'renamed' WHERE id = 'old'");
    const writer = new ReplicaWriter(replica);
    await syncOnce(tp.primary, writer);
    writer.close();
    expect(await sameAsPrimary()).toBe(true);
  });

  it("takes a fresh snapshot when the log was pruned past the watermark", async () => {
    for (const sql of MIRRORED_EDITS) await tp.primary.exec(sql);
    const pruned = await pruneChangeLog(tp.primary, { keepMs: 0 });
    expect(pruned.deleted).toBeGreaterThan(0);
    const notes: string[] = [];
    const writer = new ReplicaWriter(replica);
    const before = openReplica(replica).meta();
    const r = await syncOnce(tp.primary, writer, { onNote: (l) => notes.push(l) });
    writer.close();
    expect(r.snapshotReason).toMatch(/pruned through \d+, past the replica's watermark/);
    expect(notes.join("\n")).toMatch(/taking a fresh snapshot/);
    expect(await sameAsPrimary()).toBe(true);
    const after = openReplica(replica);
    expect(after.meta().snapshotId).not.toBe(before.snapshotId);
    expect(after.meta().watermark).toBe(pruned.prunedThrough);
    after.close();
    // Current again: later changes flow incrementally.
    await tp.primary.exec("UPDATE tenants SET name = 'After prune' WHERE id = 't1'");
    const w2 = new ReplicaWriter(replica);
    expect((await syncOnce(tp.primary, w2)).applied).toBe(1);
    w2.close();
    expect(await sameAsPrimary()).toBe(true);
  });

  it("bootstraps a missing replica with a snapshot", async () => {
    const path = join(tp.dir, "new.db");
    const writer = new ReplicaWriter(path);
    const r = await syncOnce(tp.primary, writer);
    writer.close();
    expect(r.snapshotReason).toMatch(/no usable replica/);
    expect(JSON.stringify(replicaRows(path))).toBe(JSON.stringify(await primaryRows(tp.primary)));
  });

  it("parses retention durations and refuses garbage", () => {
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(() => parseDuration("soon")).toThrow(/duration "soon" is not like/);
    expect(() => parseDuration("-1h")).toThrow(/not like/);
  });
});

describe("follow", () => {
  /** A handle on the test's primary for the follower; PGlite shares the one engine. */
  function connector(): { connect: () => Promise<Primary>; listenUrl?: string } {
    if (tp.url) {
      const u = new URL(tp.url);
      u.searchParams.set("application_name", "capgate_test_follower");
      return { connect: () => openPrimary({ databaseUrl: u.toString(), maxConnections: 1 }), listenUrl: u.toString() };
    }
    return { connect: async () => ({ ...holder.current, close: async () => undefined }) };
  }
  const holder: { current: Primary } = { current: undefined as unknown as Primary };

  it("sees every change on every table, and loses none across a connection loss", async () => {
    holder.current = tp.primary;
    const ac = new AbortController();
    const passes: SyncResult[] = [];
    const notes: string[] = [];
    const running = follow({
      ...connector(), replicaPath: replica, pollMs: 200, minBackoffMs: 50, maxBackoffMs: 400, signal: ac.signal,
      onPass: (r) => passes.push(r), onNote: (l) => notes.push(l),
    });
    try {
      for (const sql of MIRRORED_EDITS) {
        await holder.current.exec(sql);
        await eventually(sameAsPrimary, `follower applies: ${sql}`);
      }
      // Lose the primary: on the server, kill the follower's backends (its listener and query
      // connection); embedded, restart the engine. Write while it is away.
      if (tp.url) {
        const admin = new pg.Client({ connectionString: tp.url });
        await admin.connect();
        const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'capgate_test_follower'");
        expect(killed.rowCount).toBeGreaterThan(0);
        await admin.query("INSERT INTO tenants (id, name) VALUES ('during', 'written while the follower was cut off')");
        await admin.query("UPDATE user_capability_state SET data = '{\"x\": 2}' WHERE user_id = 'u6'");
        await admin.end();
      } else {
        await tp.primary.close();
        tp.primary = await openPrimary({ dataDir: tp.dataDir! });
        holder.current = tp.primary;
        await tp.primary.exec("INSERT INTO tenants (id, name) VALUES ('during', 'written while the follower was cut off')");
        await tp.primary.exec("UPDATE user_capability_state SET data = '{\"x\": 2}' WHERE user_id = 'u6'");
      }
      await eventually(sameAsPrimary, "follower catches up after the connection loss");
      expect(notes.join("\n")).toMatch(/reconnecting/);
      await tp.primary.exec("DELETE FROM tenants WHERE id = 'during'");
      await eventually(sameAsPrimary, "follower keeps following after reconnecting");
    } finally {
      ac.abort();
      await running;
    }
    expect(passes.some((p) => p.applied > 0)).toBe(true);
  });
});

describe("commit order", () => {
  it("misses nothing when transactions on several connections interleave with sync passes", async () => {
    const writers: Primary[] = tp.url ? await Promise.all([1, 2, 3].map(() => tp.reopen())) : [tp.primary];
    const writer = new ReplicaWriter(replica);
    let stop = false;
    const syncing = (async () => {
      while (!stop) await syncOnce(tp.primary, writer);
    })();
    try {
      await Promise.all(
        writers.map(async (w, wi) => {
          for (let i = 0; i < 25; i++) {
            await w.transaction(async (tx) => {
              await tx.query("UPDATE tenants SET name = $1 WHERE id = $2", [`w${wi} i${i}`, `t${1 + ((i + wi) % 4)}`]);
              // Hold the transaction open a little so commits and sync passes interleave.
              await tx.query("SELECT pg_sleep(0.002)");
              await tx.query(
                "INSERT INTO user_capability_state (user_id, capability_key, status, data, source) VALUES ($1, 'totp', 'pending', $2, 'user') " +
                  "ON CONFLICT (user_id, capability_key) DO UPDATE SET data = excluded.data",
                [`u${1 + ((i * 3 + wi) % 12)}`, JSON.stringify({ w: wi, i })],
              );
            });
          }
        }),
      );
    } finally {
      stop = true;
      await syncing;
      if (tp.url) await Promise.all(writers.map((w) => w.close()));
    }
    await syncOnce(tp.primary, writer);
    writer.close();
    expect(await sameAsPrimary()).toBe(true);
  });

  it("keeps each replica generation's write-ahead log beside that generation", async () => {
    const writer = new ReplicaWriter(replica);
    try {
      await tp.primary.exec("UPDATE tenants SET name = 'wal' WHERE id = 't1'");
      await syncOnce(tp.primary, writer);
      const gen = writer.get()!.replica.file;
      expect(existsSync(`${gen}-wal`)).toBe(true);
      expect(existsSync(`${replica}-wal`)).toBe(false);
    } finally {
      writer.close();
    }
  });
});
