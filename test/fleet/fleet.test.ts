// The fleet on real NATS JetStream and a real PostgreSQL primary: a relay
// (the built CLI, in a child process) publishes the change log; followers keep
// real SQLite replicas from the stream. Every change on every mirrored table
// reaches 20 followers, in order, once.
import { describe, expect, it } from "vitest";
import { openReplica } from "../../src/replica/index.js";
import { replicaRows } from "../replica/compare.js";
import { eventually, useFleet } from "./helpers.js";

export const EDITS = [
  "INSERT INTO tenants (id, name) VALUES ('tn', 'New tenant')",
  "UPDATE tenants SET name = 'Renamed' WHERE id = 't1'",
  "INSERT INTO users (id, tenant_id, email, mfa_secret) VALUES ('un', 'tn', 'n@example.com', 'SECRETSECRET')",
  "UPDATE users SET mfa_enabled = true, email = NULL WHERE id = 'u1'",
  "INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source) VALUES ('tn', 'max_token_ttl', '{\"seconds\": 60}', 'admin')",
  "UPDATE tenant_capabilities SET value = '{\"seconds\": 90}' WHERE tenant_id = 't1' AND capability_key = 'max_token_ttl'",
  "DELETE FROM tenant_capabilities WHERE tenant_id = 't2' AND capability_key = 'mfa'",
  "INSERT INTO tenant_features (tenant_id, feature_key, enabled, source) VALUES ('tn', 'mfa', true, 'admin')",
  "UPDATE tenant_features SET enabled = NOT enabled WHERE tenant_id = 't3'",
  "DELETE FROM tenant_features WHERE tenant_id = 't4'",
  "INSERT INTO user_capability_state (user_id, capability_key, status, data, source) VALUES ('un', 'totp', 'enrolled', '{\"k\": 1}', 'user')",
  "UPDATE user_capability_state SET status = 'revoked' WHERE user_id = 'u2'",
  "DELETE FROM user_capability_state WHERE user_id = 'u4'",
  "UPDATE capabilities SET description = 'changed' WHERE key = 'totp'",
  "DELETE FROM user_capability_state WHERE capability_key = 'totp'",
  "DELETE FROM capabilities WHERE key = 'totp'",
  "INSERT INTO capabilities (key, kind, description, default_value) VALUES ('totp', 'mfa_method', 'TOTP again', '{\"enabled\": true}')",
  "DELETE FROM users WHERE id = 'u3'",
  "DELETE FROM users WHERE tenant_id = 't4'",
  "DELETE FROM tenants WHERE id = 't4'",
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
});
