// encryptLegacySecrets against a real primary: legacy secrets of users enrolled
// in totp become JWEs that open to the same secret, a rerun writes nothing, a
// stored secret_jwe is never overwritten (also by two runs at once), secrets
// verification could not use are skipped and reported, and a secret changed
// between read and write is not written. With refresh: a re-enrollment in the
// legacy application replaces the stored secret (or withdraws it when the new
// one is unusable); a secret enrolled otherwise, or under another key, is left.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/index.js";
import type { Queryable } from "../../src/primary/index.js";
import { encryptLegacySecrets } from "../../src/totp/jobs/index.js";
import { decodeKey, decryptTotpSecret, encryptTotpSecret } from "../../src/totp/index.js";
import { insertLegacyUsers, newSecret, storedJwes, type LegacyUser } from "../helpers/legacy-totp.js";
import { createTestPrimary, newEncryptionKey, type TestPrimary } from "../server/helpers.js";

const key = decodeKey(newEncryptionKey());
const GOOD: LegacyUser[] = Array.from({ length: 5 }, (_, i) => ({ id: `u-good-${i}`, secret: newSecret() }));
const LOWER: LegacyUser = { id: "u-lower", secret: newSecret().toLowerCase() };
const NOT_BASE32: LegacyUser[] = [
  { id: "u-bad-1", secret: "NOT-BASE32-1!" },
  { id: "u-bad-2", secret: "MHV4 JXMO FCET FHBQ HOS4 N65C 5AXW 2GXD" },
];
const SHORT: LegacyUser = { id: "u-short", secret: "JBSWY3DPEHPK3PXP" }; // 10 bytes: otplib verifies from 16
const HOLDER: LegacyUser = { id: "u-holder", secret: newSecret() };
const REVOKED: LegacyUser = { id: "u-revoked", secret: newSecret() };
const NONE: LegacyUser = { id: "u-none", secret: null };
const ALL = [...GOOD, LOWER, ...NOT_BASE32, SHORT, HOLDER, REVOKED, NONE];

let db: TestPrimary;
let holderJwe: string;

async function stateRows(q: Queryable): Promise<unknown[]> {
  return (await q.query(`SELECT user_id, capability_key, status, data, updated_at FROM user_capability_state ORDER BY 1, 2`)).rows;
}

beforeAll(async () => {
  db = await createTestPrimary("totplegacy");
  await migrate(db.primary, { up: "all" });
  await insertLegacyUsers(db.primary, ALL);
  // A secret already stored encrypted (by enrollment): the run must leave it as it is.
  holderJwe = await encryptTotpSecret("ENROLLEDELSEWHEREAAAAAAAAAAAAAAA", HOLDER.id, key);
  await db.primary.query(
    `UPDATE user_capability_state SET data = jsonb_build_object('secret_jwe', $2::text, 'note', 'kept') WHERE user_id = $1 AND capability_key = 'totp'`,
    [HOLDER.id, holderJwe],
  );
  await db.primary.query(`UPDATE user_capability_state SET status = 'revoked' WHERE user_id = $1 AND capability_key = 'totp'`, [REVOKED.id]);
});

afterAll(async () => {
  await db?.drop();
});

describe("encryptLegacySecrets", () => {
  it("encrypts every usable legacy secret of an enrolled user, in batches, and reports the rest", async () => {
    const before = (await db.primary.query(`SELECT id, mfa_secret FROM users ORDER BY id`)).rows;
    const r = await encryptLegacySecrets(db.primary, key, { batchSize: 2 });
    expect(r).toEqual({
      encrypted: GOOD.length + 1,
      refreshed: 0,
      adopted: 0,
      withdrawn: 0,
      skipped: {
        not_base32: { count: 2, sample: ["u-bad-1", "u-bad-2"] },
        bad_length: { count: 1, sample: ["u-short"] },
        changed: { count: 0, sample: [] },
        undecryptable: { count: 0, sample: [] },
        not_from_legacy: { count: 0, sample: [] },
      },
    });
    const jwes = await storedJwes(db.primary);
    for (const u of [...GOOD, LOWER]) expect(await decryptTotpSecret(jwes.get(u.id)!, u.id, key)).toBe(u.secret);
    for (const u of [...NOT_BASE32, SHORT, REVOKED]) expect(jwes.get(u.id)).toBeNull();
    expect(jwes.has(NONE.id)).toBe(false);
    // The legacy column stays as it was: the legacy application may still read it.
    expect((await db.primary.query(`SELECT id, mfa_secret FROM users ORDER BY id`)).rows).toEqual(before);
  });

  it("leaves a row that already holds a secret_jwe exactly as it was", async () => {
    const { rows } = await db.primary.query<{ data: unknown }>(
      `SELECT data FROM user_capability_state WHERE user_id = $1 AND capability_key = 'totp'`,
      [HOLDER.id],
    );
    expect(rows[0]?.data).toEqual({ secret_jwe: holderJwe, note: "kept" });
  });

  it("writes nothing on a rerun, and still reports what it cannot use", async () => {
    const before = await stateRows(db.primary);
    const r = await encryptLegacySecrets(db.primary, key);
    expect(r.encrypted).toBe(0);
    expect(r.skipped.not_base32.count).toBe(2);
    expect(r.skipped.bad_length.count).toBe(1);
    expect(await stateRows(db.primary)).toEqual(before);
  });

  it("keeps a short sample of the skipped user ids", async () => {
    const r = await encryptLegacySecrets(db.primary, key, { sampleSize: 1 });
    expect(r.skipped.not_base32).toEqual({ count: 2, sample: ["u-bad-1"] });
  });

  it("encrypts an 80-bit secret too when the sidecars accept them (minSecretBytes 10)", async () => {
    const select = `SELECT data FROM user_capability_state WHERE user_id = $1 AND capability_key = 'totp'`;
    const before = (await db.primary.query<{ data: unknown }>(select, [SHORT.id])).rows[0]!.data;
    try {
      const r = await encryptLegacySecrets(db.primary, key, { minSecretBytes: 10 });
      expect(r.encrypted).toBe(1);
      expect(r.skipped.bad_length.count).toBe(0);
      expect(await decryptTotpSecret((await storedJwes(db.primary)).get(SHORT.id)!, SHORT.id, key)).toBe(SHORT.secret);
    } finally {
      await db.primary.query(`UPDATE user_capability_state SET data = $2::jsonb WHERE user_id = $1 AND capability_key = 'totp'`, [SHORT.id, JSON.stringify(before)]);
    }
  });

  it("two runs at once write each secret exactly once", async () => {
    const more: LegacyUser[] = Array.from({ length: 40 }, (_, i) => ({ id: `u-race-${String(i).padStart(2, "0")}`, secret: newSecret() }));
    await insertLegacyUsers(db.primary, more);
    const [a, b] = await Promise.all([
      encryptLegacySecrets(db.primary, key, { batchSize: 7 }),
      encryptLegacySecrets(db.primary, key, { batchSize: 7 }),
    ]);
    expect(a.encrypted + b.encrypted).toBe(more.length);
    const jwes = await storedJwes(db.primary);
    for (const u of more) expect(await decryptTotpSecret(jwes.get(u.id)!, u.id, key)).toBe(u.secret);
  });

  it("does not write a secret that changed between its read and the write; a rerun takes the new one", async () => {
    const moving: LegacyUser = { id: "u-moving", secret: newSecret() };
    await insertLegacyUsers(db.primary, [moving]);
    const replaced = newSecret();
    // The real primary, with the legacy application re-enrolling the user just before the batch is written.
    const racing: Queryable = {
      exec: (sql) => db.primary.exec(sql),
      async query(sql, params) {
        if (sql.includes("UPDATE user_capability_state"))
          await db.primary.query(`UPDATE users SET mfa_secret = $2 WHERE id = $1`, [moving.id, replaced]);
        return db.primary.query(sql, params);
      },
    };
    const r = await encryptLegacySecrets(racing, key);
    expect(r.encrypted).toBe(0);
    expect(r.skipped.changed).toEqual({ count: 1, sample: [moving.id] });
    expect((await storedJwes(db.primary)).get(moving.id)).toBeNull();

    expect((await encryptLegacySecrets(db.primary, key)).encrypted).toBe(1);
    expect(await decryptTotpSecret((await storedJwes(db.primary)).get(moving.id)!, moving.id, key)).toBe(replaced);
  });

  it("refuses a primary without the enrolling migration and writes nothing", async () => {
    const early = await createTestPrimary("totplegacy_early");
    try {
      await migrate(early.primary, { goto: 3 });
      await expect(encryptLegacySecrets(early.primary, key)).rejects.toThrow(/at migration version 3; run `capgate migrate up` first/);
    } finally {
      await early.drop();
    }
  });
});

describe("encryptLegacySecrets with refresh", () => {
  const totpData = async (userId: string): Promise<Record<string, unknown>> =>
    (await db.primary.query<{ data: Record<string, unknown> }>(`SELECT data FROM user_capability_state WHERE user_id = $1 AND capability_key = 'totp'`, [userId])).rows[0]!.data;
  const reenroll = (userId: string, secret: string) => db.primary.query(`UPDATE users SET mfa_secret = $2 WHERE id = $1`, [userId, secret]);

  it("follows a re-enrollment in the legacy application; without refresh, or on a rerun, nothing changes", async () => {
    const user = GOOD[0]!;
    const old = await totpData(user.id);
    expect(old["jwe_source"]).toBe("legacy");
    // What reaches the replica's facts besides the removed secret_jwe holds no "secret" (the scrubbing's slow path).
    expect(JSON.stringify({ ...old, secret_jwe: undefined })).not.toMatch(/secret/);
    const replaced = newSecret();
    await reenroll(user.id, replaced);

    expect((await encryptLegacySecrets(db.primary, key)).refreshed).toBe(0);
    expect(await totpData(user.id)).toEqual(old);

    const r = await encryptLegacySecrets(db.primary, key, { refresh: true, batchSize: 3 });
    expect({ refreshed: r.refreshed, adopted: r.adopted, withdrawn: r.withdrawn }).toEqual({ refreshed: 1, adopted: 0, withdrawn: 0 });
    const now = await totpData(user.id);
    expect(await decryptTotpSecret(now["secret_jwe"] as string, user.id, key)).toBe(replaced);
    expect(now["jwe_source"]).toBe("legacy");

    const before = await stateRows(db.primary);
    const again = await encryptLegacySecrets(db.primary, key, { refresh: true });
    expect({ refreshed: again.refreshed, adopted: again.adopted, withdrawn: again.withdrawn }).toEqual({ refreshed: 0, adopted: 0, withdrawn: 0 });
    expect(await stateRows(db.primary)).toEqual(before);
  });

  it("leaves a secret enrolled otherwise, and one the key cannot open, exactly as they were", async () => {
    const other: LegacyUser = { id: "u-otherkey", secret: newSecret() };
    await insertLegacyUsers(db.primary, [other]);
    const foreign = await encryptTotpSecret(newSecret(), other.id, decodeKey(newEncryptionKey()));
    await db.primary.query(
      `UPDATE user_capability_state SET data = jsonb_build_object('secret_jwe', $2::text, 'jwe_source', 'legacy') WHERE user_id = $1 AND capability_key = 'totp'`,
      [other.id, foreign],
    );
    const r = await encryptLegacySecrets(db.primary, key, { refresh: true });
    expect(r.skipped.not_from_legacy).toEqual({ count: 1, sample: [HOLDER.id] });
    expect(r.skipped.undecryptable).toEqual({ count: 1, sample: [other.id] });
    expect(await totpData(HOLDER.id)).toEqual({ secret_jwe: holderJwe, note: "kept" });
    expect(await totpData(other.id)).toEqual({ secret_jwe: foreign, jwe_source: "legacy" });
  });

  it("marks an unmarked secret that is the legacy one, keeping its secret_jwe", async () => {
    const user: LegacyUser = { id: "u-unmarked", secret: newSecret() };
    await insertLegacyUsers(db.primary, [user]);
    const jwe = await encryptTotpSecret(user.secret!, user.id, key);
    await db.primary.query(`UPDATE user_capability_state SET data = jsonb_build_object('secret_jwe', $2::text) WHERE user_id = $1 AND capability_key = 'totp'`, [user.id, jwe]);
    const r = await encryptLegacySecrets(db.primary, key, { refresh: true });
    expect(r.adopted).toBe(1);
    expect(await totpData(user.id)).toEqual({ secret_jwe: jwe, jwe_source: "legacy" });
  });

  it("withdraws the stored secret when the legacy one changed to one verification cannot use", async () => {
    const user = GOOD[1]!;
    await reenroll(user.id, SHORT.secret!);
    const r = await encryptLegacySecrets(db.primary, key, { refresh: true });
    expect(r.withdrawn).toBe(1);
    expect(await totpData(user.id)).toEqual({ jwe_source: "legacy" });
    // From then on the user is one whose legacy secret cannot be used, like any other.
    expect((await encryptLegacySecrets(db.primary, key)).skipped.bad_length.sample).toEqual(["u-good-1", "u-short"]);
  });
});
