// The sidecar's fact cache: bounded in entries and characters, emptied when
// the replica's data version moves on; and over a real replica (built through
// snapshot export and apply), a change another connection commits to the
// file, as a follower does, reaches the next read view although the facts
// were cached, and cached facts stay scrubbed of secrets.
import Database from "better-sqlite3";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentGeneration, openReplica, VIEW_MS } from "../../src/replica/index.js";
import { FactCache } from "../../src/server/decide/fact-cache.js";
import { replicaFacts } from "../../src/server/decide/replica-facts.js";
import type { FactSource } from "../../src/server/decide/facts.js";
import { buildReplica, createTestPrimary, tempDir } from "./helpers.js";

describe("FactCache", () => {
  const filled = (c: FactCache, ids: string[], text = "{}"): FactCache => {
    for (const id of ids) c.set(id, text);
    return c;
  };

  it("holds at most its entry bound, dropping the oldest first", () => {
    const c = filled(new FactCache(4, 1000), ["a", "b", "c", "d", "e"]);
    expect([c.get("a"), c.get("b"), c.get("c"), c.get("e")]).toEqual([undefined, undefined, "{}", "{}"]);
    expect(c.size).toBeLessThanOrEqual(4);
  });

  it("keeps an entry asked for again over one that was not", () => {
    const c = filled(new FactCache(4, 1000), ["a", "b", "c"]);
    expect(c.get("a")).toBe("{}");
    filled(c, ["d", "e"]);
    expect([c.get("a"), c.get("b")]).toEqual(["{}", undefined]);
  });

  it("holds at most its character bound, and never an entry above it", () => {
    const c = filled(new FactCache(100, 20), ["a", "b", "c"], "x".repeat(6));
    expect([c.get("a"), c.get("c")]).toEqual([undefined, "xxxxxx"]);
    c.set("big", "z".repeat(11));
    expect(c.get("big")).toBeUndefined();
  });

  it("empties itself when the data version moves on, not when it stays", () => {
    const c = new FactCache(10, 1000);
    c.at(7);
    c.set("a", "{}");
    c.at(7);
    expect(c.get("a")).toBe("{}");
    c.at(8);
    expect([c.get("a"), c.size]).toEqual([undefined, 0]);
  });
});

describe("replica facts with the cache", () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  let facts: FactSource;

  beforeAll(async () => {
    tmp = tempDir("capgate-fact-cache-");
    const db = await createTestPrimary("fact_cache");
    path = await buildReplica(db.primary, tmp.dir).finally(() => db.drop());
    facts = replicaFacts(openReplica(path), 86_400, Date.now);
  }, 120_000);

  afterAll(() => {
    facts?.close();
    tmp?.remove();
  });

  /** Commits on a connection of its own, as a follower applies a change. */
  const commit = (sql: string): void => {
    const writer = new Database(currentGeneration(path)!);
    try {
      writer.exec(sql);
    } finally {
      writer.close();
    }
  };

  it("keeps SQLite's own page cache at 2 MB behind the fact cache, not better-sqlite3's 16 MB", () => {
    const replica = openReplica(path);
    expect(replica.db.pragma("cache_size", { simple: true })).toBe(-16000);
    const source = replicaFacts(replica, 86_400, Date.now);
    try {
      expect(replica.db.pragma("cache_size", { simple: true })).toBe(-2000);
      expect(source.tenantJson("acme")).not.toBeNull();
    } finally {
      source.close();
    }
  });

  it("answers a change another connection commits once the read view it was cached in has ended", async () => {
    const before = JSON.parse(facts.tenantJson("acme")!) as { capabilities: Record<string, unknown> };
    expect(facts.tenantJson("acme")).toBe(JSON.stringify(before));
    commit(`UPDATE tenant_capabilities SET value = '{"seconds": 120}' WHERE tenant_id = 'acme' AND capability_key = 'max_token_ttl'`);
    await sleep(VIEW_MS * 2);
    const after = JSON.parse(facts.tenantJson("acme")!) as { capabilities: Record<string, unknown> };
    expect(after.capabilities["max_token_ttl"]).toEqual({ seconds: 120 });
    expect(before.capabilities["max_token_ttl"]).not.toEqual({ seconds: 120 });
  });

  it("answers an unknown user as unknown, and one created later once a new view opens", async () => {
    expect(facts.userJson("u-later")).toBeNull();
    commit(`INSERT INTO users (id, tenant_id, email, mfa_enabled) VALUES ('u-later', 'acme', NULL, 0)`);
    await sleep(VIEW_MS * 2);
    expect(JSON.parse(facts.userJson("u-later")!)).toMatchObject({ id: "u-later", tenant_id: "acme" });
  });

  it("keeps facts scrubbed of secrets nested in capability data, from the file and from the cache alike", async () => {
    commit(
      `INSERT INTO user_capability_state (user_id, capability_key, status, data, source)
       VALUES ('u-bob', 'totp', 'enrolled', '{"note": {"secret": "s3", "kept": 1}}', 'test')`,
    );
    await sleep(VIEW_MS * 2);
    const first = facts.userJson("u-bob")!;
    const second = facts.userJson("u-bob")!;
    expect(second).toBe(first);
    expect(first).not.toContain("s3");
    expect(first).toContain('"kept":1');
  });
});
