// Relay failures on real NATS and PostgreSQL: a relay killed with SIGKILL in
// the middle of a burst and restarted loses and repeats nothing; with two
// relays, killing the leader hands publishing to the other.
import { describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { eventually, logIds, streamChain, useFleet } from "./helpers.js";

const fleet = useFleet("failover");

/** Inserts `n` tenants, one transaction each, starting at `from`. */
async function burst(from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await fleet.tp.primary.exec(`INSERT INTO tenants (id, name) VALUES ('b${i}', 'Burst ${i}')`);
}

async function streamMessages(): Promise<number> {
  const jsm = await jetstreamManager(fleet.nc);
  return (await jsm.streams.info(fleet.stream)).state.messages;
}

/** The stream holds every change after the first snapshot exactly once, in log order, each naming its predecessor. */
async function expectExactChain(): Promise<void> {
  const chain = await streamChain(fleet.nc, fleet.stream);
  expect(chain.length).toBeGreaterThan(0);
  const ids = chain.map((c) => c.id);
  expect(ids).toEqual(await logIds(fleet.tp.primary, chain[0]!.prev));
  for (let i = 1; i < chain.length; i++) expect(chain[i]!.prev).toBe(chain[i - 1]!.id);
}

describe("relay failures", () => {
  it("a relay killed with SIGKILL mid-stream and restarted loses and repeats no change", async () => {
    const first = fleet.relay();
    const f = fleet.follower("replica");
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower bootstrapped");
    const writing = burst(0, 600);
    await eventually(async () => (await streamMessages()) >= 100, "the relay published part of the burst");
    await first.kill9();
    const published = await streamMessages();
    const second = fleet.relay();
    await writing;
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower matches the primary after the restart");
    expect(published).toBeLessThan(600);
    expect(second.stderr()).toMatch(/continuing stream .* after sequence \d+/);
    await expectExactChain();
    expect(new Set(f.applied).size).toBe(f.applied.length);
    expect([...f.applied].sort((a, b) => a - b)).toEqual(f.applied);
    expect(f.applied.length).toBe(600);
    process.stdout.write(`killed after ${published} of 600 changes were published; the restarted relay published the rest, each once\n`);
  });

  it("two relays: when the leader is killed, the other publishes", async () => {
    const a = fleet.relay();
    await eventually(() => a.stderr().includes("holds the lease"), "first relay leads");
    const b = fleet.relay();
    await eventually(() => b.stderr().includes("waiting for the lease"), "second relay waits");
    const f = fleet.follower("replica");
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower bootstrapped");
    await burst(0, 5);
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower has the first relay's changes");
    expect(b.stderr()).not.toContain("holds the lease");
    await a.kill9();
    const killedAt = Date.now();
    await burst(5, 5);
    await eventually(() => b.stderr().includes("holds the lease"), "second relay takes the lease", 30_000);
    const tookOverMs = Date.now() - killedAt;
    await eventually(() => fleet.sameAsPrimary(f.replica), "follower has the changes made after the kill", 30_000);
    await expectExactChain();
    expect(new Set(f.applied).size).toBe(f.applied.length);
    process.stdout.write(`second relay took over ${tookOverMs} ms after the leader was killed (lease TTL 5 s)\n`);
  });
});
