// The sidecar's metrics kept in plain numbers and published through
// prom-client's registry when read: counts are cumulative across scrapes,
// labelled and unlabelled series print as prom-client's own would, the
// default process metrics are there from the first scrape, and a metric the
// fleet follower registers in the loaded registry shows beside them.
import { Counter } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMetrics, setPolicyRevision } from "../../src/server/metrics.js";

describe("sidecar metrics", () => {
  it("publishes decisions, latency, counters and gauges at each scrape, cumulatively", async () => {
    const m = createMetrics();
    m.recordDecision("token.issue", true, 0.00002);
    m.recordDecision("token.issue", false, 0.003);
    m.reloads.inc({ kind: "bundle", outcome: "loaded" });
    m.replicaAge.set(12.5);
    setPolicyRevision(m, "rev-a");
    const first = await m.registry.metrics();
    expect(first).toContain('capgate_decisions_total{decision="token.issue",outcome="allow"} 1');
    expect(first).toContain('capgate_decisions_total{decision="token.issue",outcome="deny"} 1');
    expect(first).toContain('capgate_decision_duration_seconds_bucket{le="0.000025",decision="token.issue"} 1');
    expect(first).toContain('capgate_decision_duration_seconds_bucket{le="0.005",decision="token.issue"} 2');
    expect(first).toContain('capgate_reloads_total{kind="bundle",outcome="loaded"} 1');
    expect(first).toContain("capgate_replica_age_seconds 12.5");
    expect(first).toContain("capgate_decision_log_dropped_lines 0");
    expect(first).toContain('capgate_policy_revision_info{revision="rev-a"} 1');
    expect(first).toContain("# TYPE capgate_totp_verifications_total counter");
    expect(first).toMatch(/^capgate_process_cpu_user_seconds_total \d/m);

    m.recordDecision("token.issue", true, 0.00002);
    setPolicyRevision(m, "rev-b");
    const second = await m.registry.metrics();
    expect(second).toContain('capgate_decisions_total{decision="token.issue",outcome="allow"} 2');
    expect(second).toContain('capgate_decisions_total{decision="token.issue",outcome="deny"} 1');
    expect(second).toContain('capgate_decision_duration_seconds_count{decision="token.issue"} 3');
    expect(second).not.toContain("rev-a");
    expect(second).toContain('capgate_policy_revision_info{revision="rev-b"} 1');
  });

  it("serves one registry, in which the fleet follower's metrics show too", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const registry = await m.registry.load();
    expect(await m.registry.load()).toBe(registry);
    new Counter({ name: "capgate_fleet_test_total", help: "a follower's counter", registers: [registry] }).inc(3);
    const text = await m.registry.metrics();
    expect(text).toContain("capgate_fleet_test_total 3");
    expect(text).toContain("# TYPE capgate_decisions_total counter");
    expect(text).not.toContain("capgate_process_cpu");
    expect(m.registry.contentType).toBe(registry.contentType);
  });
});
