// Prometheus metrics of one sidecar instance (so two servers in one process,
// as in tests, do not share counters): decisions by name and outcome, decision
// latency, replica age and corruption, and the loaded policy revision.
//
// Every metric is kept here in plain numbers and published when it is read:
// prom-client hashes the label set of every inc() and observe() into a string
// key, which cost a busy sidecar more than its decision log, and loading it
// is a noticeable share of `serve`'s start-up. So prom-client is imported on
// the first read (a /metrics scrape, or the fleet follower adding its own
// metrics to the registry), and each metric here is a registry metric of its
// own whose get() answers from the numbers. Node's default metrics are
// registered at that first read too: those read at collect time (CPU, memory,
// handles) are whole from the first scrape, the GC and event-loop-lag
// histograms count from it.
import type { Metric, Registry } from "prom-client";

/** The registry as /metrics reads it; prom-client is loaded on the first read. */
export interface LazyRegistry {
  /** The Prometheus text format's (prom-client's default). */
  readonly contentType: string;
  /** The exposition text of every metric. */
  metrics(): Promise<string>;
  /** prom-client's registry holding these metrics; the fleet follower registers its own there. */
  load(): Promise<Registry>;
}

export interface ServerMetrics {
  registry: LazyRegistry;
  /** Counts one answered decision and its latency; the hot path's only metrics call. */
  recordDecision(decision: string, allow: boolean, seconds: number): void;
  decisions: LocalCounter<"decision" | "outcome">;
  latency: DecisionLatency;
  totp: LocalCounter<"outcome">;
  replicaAge: LocalGauge;
  decisionLogDropped: LocalGauge;
  policyRevision: LocalGauge<"revision">;
  reloads: LocalCounter<"kind" | "outcome">;
  replicaCorruptions: LocalCounter<"found_by">;
}

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE, known before prom-client is loaded. */
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

const LATENCY_BUCKETS: readonly number[] = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1];

type Labels = Record<string, string | number>;

/** What a prom-client metric's get() answers, which its registry formats. */
interface MetricData {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  aggregator: "sum";
  values: Array<{ labels: Labels; value: number; metricName?: string }>;
}

/**
 * A counter or gauge in plain numbers, one series per label set, published
 * by prom-client's registry as a metric of its own. Label sets are keyed by
 * their values in labelNames order; these metrics change a few times a
 * minute, not per decision.
 */
abstract class LocalMetric<L extends string> {
  readonly aggregator = "sum" as const;
  abstract readonly type: "counter" | "gauge";
  protected readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[] = [],
  ) {}

  protected entry(labels: Partial<Record<L, string>>): { labels: Labels; value: number } {
    const key = this.labelNames.map((l) => labels[l] ?? "").join("\u0000");
    let e = this.series.get(key);
    if (e === undefined) {
      e = { labels: { ...labels } as Labels, value: 0 };
      this.series.set(key, e);
    }
    return e;
  }

  reset(): void {
    this.series.clear();
  }

  /** Called by get() before it answers (the decisions counter takes recordDecision's counts there). */
  protected collect(): void {}

  get(): Promise<MetricData> {
    this.collect();
    // Without labels a metric shows its one series even before it is touched, as prom-client's do.
    const values = this.labelNames.length === 0 && this.series.size === 0 ? [{ labels: {}, value: 0 }] : [...this.series.values()];
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

export class LocalCounter<L extends string = never> extends LocalMetric<L> {
  readonly type = "counter" as const;

  constructor(name: string, help: string, labelNames: readonly L[] = [], private readonly onCollect?: (c: LocalCounter<L>) => void) {
    super(name, help, labelNames);
  }

  inc(labels: Partial<Record<L, string>> = {}, by = 1): void {
    this.entry(labels).value += by;
  }

  protected override collect(): void {
    this.onCollect?.(this);
  }
}

export class LocalGauge<L extends string = never> extends LocalMetric<L> {
  readonly type = "gauge" as const;

  /** set(value) for a gauge without labels, set(labels, value) for one series of a labelled one. */
  set(labelsOrValue: Partial<Record<L, string>> | number, value?: number): void {
    if (typeof labelsOrValue === "number") this.entry({}).value = labelsOrValue;
    else this.entry(labelsOrValue).value = value ?? 0;
  }
}

/** One decision name's counts: outcomes not yet published to the counter, and its latency histogram. */
interface Tally {
  allow: number;
  deny: number;
  /** Per bucket of LATENCY_BUCKETS (not cumulative), then the observations above the last bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** capgate_decision_duration_seconds by decision: a histogram kept in plain numbers per decision name. */
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
  get(): Promise<MetricData> {
    const values: MetricData["values"] = [];
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
  const latency = new DecisionLatency();
  // Publishes what recordDecision counted since the last read.
  const decisions = new LocalCounter("capgate_decisions_total", "Decisions answered, by decision name and outcome (allow, deny, error)", ["decision", "outcome"], (c) => {
    for (const [decision, t] of latency.tallies) {
      if (t.allow > 0) c.inc({ decision, outcome: "allow" }, t.allow);
      if (t.deny > 0) c.inc({ decision, outcome: "deny" }, t.deny);
      t.allow = 0;
      t.deny = 0;
    }
  });
  const own = {
    decisions,
    latency,
    totp: new LocalCounter("capgate_totp_verifications_total", "TOTP verifications, by outcome (verified or the refusal reason)", ["outcome"]),
    replicaAge: new LocalGauge("capgate_replica_age_seconds", "Seconds since the replica last confirmed it was current (-1 when missing)"),
    decisionLogDropped: new LocalGauge(
      "capgate_decision_log_dropped_lines",
      "Decision log lines dropped since start because the destination could not keep up",
    ),
    policyRevision: new LocalGauge("capgate_policy_revision_info", "The loaded policy bundle revision (value 1 on the loaded revision's series)", ["revision"]),
    reloads: new LocalCounter("capgate_reloads_total", "Bundle and replica reloads, by kind and outcome (loaded, refused)", ["kind", "outcome"]),
    replicaCorruptions: new LocalCounter(
      "capgate_replica_corruptions_total",
      "Damaged replica files found, by where (lookup, integrity_check, load); decisions are denied until a fresh snapshot replaces the file",
      ["found_by"],
    ),
  };
  let loaded: Promise<Registry> | undefined;
  const load = (): Promise<Registry> =>
    (loaded ??= import("prom-client").then(({ Registry, collectDefaultMetrics }) => {
      const r = new Registry();
      if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: r, prefix: "capgate_" });
      for (const m of Object.values(own)) r.registerMetric(m as unknown as Metric);
      return r;
    }));
  return {
    ...own,
    registry: { contentType: PROMETHEUS_TEXT, load, metrics: async () => (await load()).metrics() },
    recordDecision(decision, allow, seconds) {
      const t = latency.tally(decision);
      if (allow) t.allow++;
      else t.deny++;
      observeIn(t, seconds);
    },
  };
}

export function setPolicyRevision(m: ServerMetrics, revision: string | null): void {
  m.policyRevision.reset();
  if (revision !== null) m.policyRevision.set({ revision }, 1);
}
