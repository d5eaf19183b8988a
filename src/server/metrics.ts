// Prometheus metrics of one sidecar instance, in its own registry (so two
// servers in one process, as in tests, do not share counters): decisions by
// name and outcome, decision latency, replica age and corruption, and the
// loaded policy revision.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface ServerMetrics {
  registry: Registry;
  decisions: Counter<"decision" | "outcome">;
  latency: Histogram<"decision">;
  totp: Counter<"outcome">;
  replicaAge: Gauge;
  decisionLogDropped: Gauge;
  policyRevision: Gauge<"revision">;
  reloads: Counter<"kind" | "outcome">;
  replicaCorruptions: Counter<"found_by">;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "capgate_" });
  return {
    registry,
    decisions: new Counter({
      name: "capgate_decisions_total",
      help: "Decisions answered, by decision name and outcome (allow, deny, error)",
      labelNames: ["decision", "outcome"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "capgate_decision_duration_seconds",
      help: "Time to answer one decision inside the sidecar",
      labelNames: ["decision"],
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
      registers: [registry],
    }),
    totp: new Counter({
      name: "capgate_totp_verifications_total",
      help: "TOTP verifications, by outcome (verified or the refusal reason)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    replicaAge: new Gauge({
      name: "capgate_replica_age_seconds",
      help: "Seconds since the replica last confirmed it was current (-1 when missing)",
      registers: [registry],
    }),
    decisionLogDropped: new Gauge({
      name: "capgate_decision_log_dropped_lines",
      help: "Decision log lines dropped since start because the destination could not keep up",
      registers: [registry],
    }),
    policyRevision: new Gauge({
      name: "capgate_policy_revision_info",
      help: "The loaded policy bundle revision (value 1 on the loaded revision's series)",
      labelNames: ["revision"],
      registers: [registry],
    }),
    reloads: new Counter({
      name: "capgate_reloads_total",
      help: "Bundle and replica reloads, by kind and outcome (loaded, refused)",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    replicaCorruptions: new Counter({
      name: "capgate_replica_corruptions_total",
      help: "Damaged replica files found, by where (lookup, integrity_check, load); decisions are denied until a fresh snapshot replaces the file",
      labelNames: ["found_by"],
      registers: [registry],
    }),
  };
}

export function setPolicyRevision(m: ServerMetrics, revision: string | null): void {
  m.policyRevision.reset();
  if (revision !== null) m.policyRevision.set({ revision }, 1);
}
