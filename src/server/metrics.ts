// Prometheus metrics of one sidecar instance, in its own registry (so two
// servers in one process, as in tests, do not share counters): decisions by
// name and outcome, decision latency, replica age and corruption, and the
// loaded policy revision.
//
// A decision is counted in plain numbers (recordDecision): prom-client hashes
// the label set of every inc() and observe() into a string key, which cost a
// busy sidecar more than its decision log. The counts are published when the
// registry is read (a scrape, the status reporter): the decisions counter
// takes what was counted since in its collect(), and the latency histogram
// answers from the counts themselves.
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from "prom-client";

export interface ServerMetrics {
  registry: Registry;
  /** Counts one answered decision and its latency; the hot path's only metrics call. */
  recordDecision(decision: string, allow: boolean, seconds: number): void;
  decisions: Counter<"decision" | "outcome">;
  latency: DecisionLatency;
  totp: Counter<"outcome">;
  replicaAge: Gauge;
  decisionLogDropped: Gauge;
  policyRevision: Gauge<"revision">;
  reloads: Counter<"kind" | "outcome">;
  replicaCorruptions: Counter<"found_by">;
}

const LATENCY_BUCKETS: readonly number[] = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1];

/** One decision name's counts: outcomes not yet published to the counter, and its latency histogram. */
interface Tally {
  allow: number;
  deny: number;
  /** Per bucket of LATENCY_BUCKETS (not cumulative), then the observations above the last bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** What a prom-client metric's get() answers, for a histogram. */
interface HistogramData {
  name: string;
  help: string;
  type: "histogram";
  aggregator: "sum";
  values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
}

/**
 * capgate_decision_duration_seconds by decision: a histogram kept in plain
 * numbers per decision name, registered with prom-client as a metric of its
 * own (prom-client's Histogram has no way to take counts made elsewhere).
 */
export class DecisionLatency {
  readonly name = "capgate_decision_duration_seconds";
  readonly help = "Time to answer one decision inside the sidecar";
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  readonly tallies = new Map<string, Tally>();

  /** The tally of one decision name, made on first use. */
  tally(decision: string): Tally {
    let t = this.tallies.get(decision);
    if (t === undefined) {
      t = { allow: 0, deny: 0, buckets: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0, count: 0 };
      this.tallies.set(decision, t);
    }
    return t;
  }

  observe(labels: { decision: string }, seconds: number): void {
    observeIn(this.tally(labels.decision), seconds);
  }

  reset(): void {
    for (const t of this.tallies.values()) {
      t.buckets.fill(0);
      t.sum = 0;
      t.count = 0;
    }
  }

  /** As prom-client's Histogram#get(): cumulative buckets, then +Inf, sum and count, per decision. */
  get(): Promise<HistogramData> {
    const values: HistogramData["values"] = [];
    for (const [decision, t] of this.tallies) {
      if (t.count === 0) continue;
      let acc = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        acc += t.buckets[i]!;
        values.push({ labels: { le, decision }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", decision }, value: t.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { decision }, value: t.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { decision }, value: t.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}

function observeIn(t: Tally, seconds: number): void {
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
  t.buckets[i]! += 1;
  t.sum += seconds;
  t.count += 1;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "capgate_" });
  const latency = new DecisionLatency();
  registry.registerMetric(latency as unknown as Metric);
  return {
    registry,
    recordDecision(decision, allow, seconds) {
      const t = latency.tally(decision);
      if (allow) t.allow++;
      else t.deny++;
      observeIn(t, seconds);
    },
    decisions: new Counter({
      name: "capgate_decisions_total",
      help: "Decisions answered, by decision name and outcome (allow, deny, error)",
      labelNames: ["decision", "outcome"],
      registers: [registry],
      // Publishes what recordDecision counted since the last read.
      collect() {
        for (const [decision, t] of latency.tallies) {
          if (t.allow > 0) this.inc({ decision, outcome: "allow" }, t.allow);
          if (t.deny > 0) this.inc({ decision, outcome: "deny" }, t.deny);
          t.allow = 0;
          t.deny = 0;
        }
      },
    }),
    latency,
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
