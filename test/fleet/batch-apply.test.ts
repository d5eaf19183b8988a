// A follower's batch transaction on real NATS and SQLite: a malformed change
// message in the middle of what arrived together. The changes before it are
// committed with their stream position, nothing after it is applied, the
// follower says what is wrong in one line and keeps running (retrying from
// the message, not bootstrapping: a snapshot cannot mend a bad message).
import { describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { changeSubject, encodeChange, fleetNames, readPosition } from "../../src/fleet/index.js";
import { openReplica } from "../../src/replica/index.js";
import { tenantFacts } from "../replica/lookups.js";
import { eventually, useFleet } from "./helpers.js";

const fleet = useFleet("batch");

describe("a follower's batch transaction", () => {
  it("commits the changes before a malformed message, applies nothing after it, and keeps running", async () => {
    const relay = fleet.relay();
    const first = fleet.follower("batch");
    await eventually(() => fleet.sameAsPrimary(first.replica), "follower bootstrapped");
    first.stop();
    await first.done;
    // The relay stops too: the test writes the stream itself, as a broken or hostile publisher would.
    await relay.stop();

    const before = openReplica(first.replica);
    const wm = before.meta().watermark!;
    const startSeq = readPosition(before.db)!.seq;
    before.close();

    const names = fleetNames(fleet.stream);
    const js = jetstream(fleet.nc);
    const change = (seq: number, id: string): { seq: number; table_name: string; op: string; row_data: Record<string, unknown> } =>
      ({ seq, table_name: "tenants", op: "U", row_data: { id, name: `Good ${id}` } });
    const publish = async (seq: number, id: string, prev: number): Promise<number> => {
      const c = change(seq, id);
      return (await js.publish(changeSubject(names, "tenants", c.row_data), encodeChange(c, prev), { msgID: String(seq) })).seq;
    };
    await publish(wm + 1, "g1", wm);
    const lastGood = await publish(wm + 2, "g2", wm + 1);
    const bad = (await js.publish(`${names.stream}.changes.tenants.g3`, new TextEncoder().encode('{"seq": 99, "table_name": "tenants", "op": "U"'), { msgID: "bad" })).seq;
    await publish(wm + 3, "g4", wm + 2);
    await publish(wm + 4, "g5", wm + 3);

    // A long batch window: everything above arrives before the one transaction runs.
    const f = fleet.follower("batch", { batchWindowMs: 500 });
    let running = true;
    void f.done.then(() => (running = false));
    const refusal = new RegExp(`stream message ${bad}: not JSON`);
    await eventually(() => f.notes.filter((n) => refusal.test(n)).length >= 2, "the malformed message refused, then refused again on the retry");

    expect(f.batches[0]).toEqual([wm + 1, wm + 2]);
    expect(f.applied).toEqual([wm + 1, wm + 2]);
    expect(f.bootstraps).toBe(0);
    expect(running).toBe(true);
    const note = f.notes.find((n) => refusal.test(n))!;
    expect(note).not.toContain("\n");
    expect(note).toContain(f.replica);

    const after = openReplica(f.replica);
    try {
      expect(after.meta().watermark).toBe(wm + 2);
      expect(readPosition(after.db)!.seq).toBe(lastGood);
      expect(lastGood).toBe(startSeq + 2);
      expect(tenantFacts(after, "g1")?.tenant.name).toBe("Good g1");
      expect(tenantFacts(after, "g2")?.tenant.name).toBe("Good g2");
      expect(tenantFacts(after, "g4")).toBeUndefined();
      expect(tenantFacts(after, "g5")).toBeUndefined();
    } finally {
      after.close();
    }
    process.stdout.write(`batch cut at the malformed message: applied ${f.applied.join(", ")}; note: ${note}\n`);
  });
});
