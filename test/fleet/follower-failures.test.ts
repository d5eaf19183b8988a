// Followers under failure, on real NATS and PostgreSQL: the NATS server
// restarted under running followers; a stream purged below a follower's
// position; a tampered (or, with a key, unsigned) snapshot in the object
// store; a sidecar partitioned from NATS that must fail closed after
// max_staleness_seconds and recover when the link returns.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { fleetNames, SNAPSHOT_OBJECT } from "../../src/fleet/index.js";
import { openReplica } from "../../src/replica/index.js";
import { replicaStatus, tenantFacts } from "../replica/lookups.js";
import { generateSigningKeys, loadVerifyKey } from "../../src/snapshot/index.js";
import { buildTestBundle, post, startTestServer } from "../server/helpers.js";
import { eventually, logIds, partitionable, privateNats, useFleet } from "./helpers.js";

const fleet = useFleet("failures");

async function tenants(from: number, n: number, prefix = "x"): Promise<void> {
  for (let i = from; i < from + n; i++) await fleet.tp.primary.exec(`INSERT INTO tenants (id, name) VALUES ('${prefix}${i}', 'T ${i}')`);
}

describe("followers under failure", () => {
  it("resume after the NATS server restarts under them", async () => {
    const nats = await privateNats();
    try {
      fleet.relay({ nats: nats.url });
      const fs = [fleet.follower("a", { natsUrl: nats.url }), fleet.follower("b", { natsUrl: nats.url })];
      for (const f of fs) await eventually(() => fleet.sameAsPrimary(f.replica), `${f.replica} bootstrapped`);
      await tenants(0, 5);
      for (const f of fs) await eventually(() => f.applied.length === 5, `${f.replica} applied changes before the restart`);
      await nats.stop();
      await tenants(5, 5);
      await nats.start();
      await tenants(10, 5);
      for (const f of fs) await eventually(() => fleet.sameAsPrimary(f.replica), `${f.replica} current after the restart`);
      for (const f of fs) {
        expect(new Set(f.applied).size).toBe(f.applied.length);
        expect(f.applied.length).toBe(15);
      }
      process.stdout.write(`after the NATS restart: ${fs.map((f) => `${f.applied.length} changes applied, ${f.bootstraps} bootstrap(s)`).join("; ")}\n`);
    } finally {
      await nats.stop();
    }
  });

  it("re-bootstraps when the stream was purged below its position", async () => {
    fleet.relay();
    const f = fleet.follower("behind");
    await tenants(0, 3);
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower current");
    f.stop();
    await f.done;
    await tenants(3, 5);
    const jsm = await jetstreamManager(fleet.nc);
    const newest = async (): Promise<number> => {
      const last = (await jsm.streams.info(fleet.stream)).state.last_seq;
      // An empty stream (the changes so far are in the relay's first snapshot, the new ones not yet published).
      if (last === 0) return 0;
      return Number((await jsm.streams.getMessage(fleet.stream, { seq: last }))?.header.get("Nats-Msg-Id"));
    };
    const logEnd = (await logIds(fleet.tp.primary, 0)).at(-1);
    await eventually(async () => (await newest()) === logEnd, "relay published the changes");
    await jsm.streams.purge(fleet.stream);
    await tenants(8, 3);
    const again = fleet.follower("behind");
    await eventually(() => fleet.sameAsPrimary(again.replica), "follower current again after the purge");
    expect(again.bootstraps).toBe(1);
    expect(again.notes.join("\n")).toMatch(/stream starts at \d+, past the replica's \d+|newer than the replica's/);
  });

  it("refuses a tampered snapshot object and keeps serving the old replica; with a key, refuses an unsigned one", async () => {
    const keys = await generateSigningKeys(join(fleet.tp.dir, "snap"), { alg: "EdDSA", format: "pem" });
    fleet.relay({ extra: ["--sign-key", keys.privateFile] });
    const key = loadVerifyKey(keys.publicFile);
    const f = fleet.follower("signed", { key });
    await tenants(0, 2);
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower current");
    f.stop();
    await f.done;
    const before = openReplica(f.replica).meta();

    // Someone with write access to the bucket replaces the snapshot: one row changed, trailer kept.
    const store = await new Objm(fleet.nc).open(fleetNames(fleet.stream).snapshotBucket);
    const original = await store.get(SNAPSHOT_OBJECT);
    const text = Buffer.from(await new Response(original!.data).arrayBuffer()).toString("utf8");
    const tampered = text.replace('"Tenant 1"', '"Tenant X"');
    expect(tampered).not.toBe(text);
    const meta = { ...original!.info.metadata, stream_seq: "999999" };
    await store.putBlob({ name: SNAPSHOT_OBJECT, metadata: meta }, new TextEncoder().encode(tampered));

    const again = fleet.follower("signed", { key });
    await eventually(() => again.notes.some((n) => /refused|digest/.test(n)), "the tampered snapshot is refused");
    expect(again.bootstraps).toBe(0);
    const after = openReplica(f.replica);
    expect(after.meta().snapshotId).toBe(before.snapshotId);
    expect(tenantFacts(after, "t1")?.tenant.name).toBe("Tenant 1");
    after.close();
    expect(replicaStatus(f.replica, { maxStalenessMs: 60_000 }).status).toBe("current");
    again.stop();
    await again.done;

    // An unsigned snapshot with the right digest is refused too when the follower has a key.
    const unsigned = text.replace(/"signature":"[^"]+"/, '"signature":null');
    expect(unsigned).not.toBe(text);
    await store.putBlob({ name: SNAPSHOT_OBJECT, metadata: { ...meta, signed: "false" } }, new TextEncoder().encode(unsigned));
    const third = fleet.follower("signed", { key });
    await eventually(() => third.notes.some((n) => /not signed|unsigned|signature/.test(n)), "the unsigned snapshot is refused");
    expect(third.bootstraps).toBe(0);
    expect(openReplica(f.replica).meta().snapshotId).toBe(before.snapshotId);
    process.stdout.write(`refusals: ${[...again.notes, ...third.notes].filter((n) => /refused|digest|signature|signed/.test(n)).slice(0, 2).join(" | ")}\n`);
  });

  it("a sidecar partitioned from NATS fails closed after max staleness and recovers", async () => {
    const link = await partitionable();
    try {
      fleet.relay();
      const bundle = await buildTestBundle(join(fleet.tp.dir, "bundle.tar.gz"), "r1");
      const replica = join(fleet.tp.dir, "sidecar.db");
      const server = await startTestServer(fleet.tp.dir, {
        bundle,
        replica,
        max_staleness_seconds: 2,
        "sync.nats_url": link.url,
        "sync.stream": fleet.stream,
      });
      try {
        const ask = async (): Promise<string[]> =>
          (await post(server.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "t2", user_id: "u1" } })).json["reasons"] as string[];
        await eventually(async () => !(await ask()).some((r) => r.startsWith("replica_")), "sidecar answers from a current replica");
        link.cut();
        await eventually(async () => (await ask()).includes("replica_stale"), "partitioned sidecar fails closed (replica_stale)");
        const denied = await post(server.url, "/decide", { decision: "token.issue", input: { tenant_id: "t2", user_id: "u1", token_type: "access", auth: { methods: ["pwd"] } } });
        expect(denied.json["allow"]).toBe(false);
        await tenants(0, 2);
        link.heal();
        await eventually(async () => !(await ask()).some((r) => r.startsWith("replica_")), "sidecar current again after the partition heals");
        await eventually(() => fleet.sameAsPrimary(replica), "sidecar's replica has the changes made during the partition");
        const metrics = await (await fetch(server.url + "/metrics")).text();
        expect(metrics).toMatch(/capgate_fleet_applied_seq \d+/);
        expect(metrics).toMatch(/capgate_fleet_bootstraps_total 1/);
      } finally {
        await server.close();
      }
    } finally {
      await link.close();
    }
  });
});

