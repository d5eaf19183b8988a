// The fleet on real NATS JetStream and a real PostgreSQL primary: a relay
// (the built CLI, in a child process) publishes the change log; followers keep
// real SQLite replicas from the stream. Every change on every mirrored table
// reaches 20 followers, in order, once.
import { describe, expect, it } from "vitest";
import { openReplica } from "../../src/replica/index.js";
import { replicaRows } from "../replica/compare.js";
import { eventually, NATS_URL, runCapgate, useFleet } from "./helpers.js";
import { MIRRORED_EDITS } from "../helpers/mirrored-edits.js";

/** Every mirrored table's changes, then a catalog row deleted and written again. */
export const EDITS: readonly string[] = [
  ...MIRRORED_EDITS,
  "DELETE FROM user_capability_state WHERE capability_key = 'totp'",
  "DELETE FROM capabilities WHERE key = 'totp'",
  "INSERT INTO capabilities (key, kind, description, default_value) VALUES ('totp', 'mfa_method', 'TOTP again', '{\"enabled\": true}')",
];

const fleet = useFleet("fleet");

describe("relay and followers", () => {
  it("insert, update and delete on every mirrored table reach 20 followers", async () => {
    fleet.relay();
    const fs = Array.from({ length: 20 }, (_, i) => fleet.follower(`replica-${i}`));
    for (const x of fs) await eventually(() => fleet.sameAsPrimary(x.replica), `${x.replica} bootstrapped`);
    for (const sql of EDITS) await fleet.tp.primary.exec(sql);
    for (const x of fs) await eventually(() => fleet.sameAsPrimary(x.replica), `${x.replica} matches the primary`);
    for (const x of fs) {
      expect(x.bootstraps).toBe(1);
      expect(new Set(x.applied).size).toBe(x.applied.length);
      expect([...x.applied].sort((a, b) => a - b)).toEqual(x.applied);
      const r = openReplica(x.replica);
      const rows = r.db.prepare("SELECT key, value FROM replica_meta WHERE key LIKE 'nats_%'").all() as { key: string; value: string }[];
      r.close();
      const meta = Object.fromEntries(rows.map((m) => [m.key, m.value]));
      expect(meta["nats_stream"]).toBe(fleet.stream);
      expect(Number(meta["nats_stream_seq"])).toBeGreaterThan(0);
    }
    // users.mfa_secret never leaves the primary, over NATS either.
    expect(JSON.stringify(replicaRows(fs[0]!.replica))).not.toContain("SECRETSECRET");
  });

  it("fleet status lists followers with applied sequence and lag; relay and followers export metrics", async () => {
    const relay = fleet.relay({ extra: ["--metrics-port", "0"] });
    const fs = [fleet.follower("s1"), fleet.follower("s2"), fleet.follower("s3")];
    for (const x of fs) await eventually(() => fleet.sameAsPrimary(x.replica), `${x.replica} bootstrapped`);
    for (const sql of EDITS.slice(0, 4)) await fleet.tp.primary.exec(sql);
    for (const x of fs) await eventually(() => fleet.sameAsPrimary(x.replica), `${x.replica} current`);
    await eventually(() => fs.every((x) => x.f.report().lag_seconds !== null), "followers confirmed by a heartbeat");

    const c = runCapgate(["fleet", "status", "--nats", NATS_URL, "--stream", fleet.stream, "--format", "json"]);
    await new Promise<void>((r) => c.proc.once("exit", () => r()));
    expect(c.proc.exitCode).toBe(0);
    const status = JSON.parse(c.stdout()) as { stream: { last_seq: number }; leader: string; followers: { replica: string; stream_seq: number; lag_seconds: number; state: string; bootstraps: number }[] };
    expect(status.leader).toMatch(/.+/);
    expect(status.followers.map((f) => f.replica).sort()).toEqual(fs.map((x) => x.replica).sort());
    for (const f of status.followers) {
      expect(f).toMatchObject({ stream_seq: status.stream.last_seq, state: "following", bootstraps: 1 });
      expect(typeof f.lag_seconds).toBe("number");
    }
    const text = runCapgate(["fleet", "status", "--nats", NATS_URL, "--stream", fleet.stream]);
    await new Promise<void>((r) => text.proc.once("exit", () => r()));
    expect(text.stdout()).toMatch(/3 followers answered/);
    process.stdout.write(text.stdout());

    const port = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(relay.stderr())?.[1];
    expect(port).toBeDefined();
    const relayMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(relayMetrics).toMatch(new RegExp(`capgate_relay_published_seq ${status.stream.last_seq}\\b`));
    expect(relayMetrics).toMatch(/capgate_relay_leader 1/);
    expect(relayMetrics).toMatch(/capgate_relay_snapshots_total [1-9]/);
    const followerMetrics = await fs[0]!.f.metrics.registry.metrics();
    expect(followerMetrics).toMatch(new RegExp(`capgate_fleet_applied_seq ${status.stream.last_seq}\\b`));
    expect(followerMetrics).toMatch(/capgate_fleet_bootstraps_total 1/);
    expect(followerMetrics).toMatch(/capgate_fleet_gaps_total 0/);
    expect(followerMetrics).toMatch(/capgate_fleet_lag_seconds \d/);
  });
});
