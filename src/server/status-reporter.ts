// Tells a control plane what this sidecar is serving, in the shape of OPA's
// status API (POST {url}/status with labels, bundles and plugins), plus
// capgate's own fields: the replica's version and age, and decisions per second
// and deny rate per decision since the last report. A report is sent when the
// reporter starts (the first activation), when the policy revision or the
// replica changes, and every interval. Everything runs on unref'd timers off
// the decision path: a slow, failing or absent control plane costs a log line,
// never a decision.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename } from "node:path";
import type { Logger } from "pino";
import type { Engine } from "../policy/runtime/index.js";
import type { ReplicaState } from "../replica/index.js";
import type { FactSource } from "./decide/index.js";
import type { ServerMetrics } from "./metrics.js";
import type { PluginStatus } from "./health.js";
import type { BundleStatus } from "./bundle-service.js";

export interface StatusSettings {
  /** The control plane's base URL; reports go to `${url}/status`. */
  url: string;
  /** Sent as `Authorization: Bearer ...` (an admin token of role sidecar). */
  bearer?: string | undefined;
  interval_seconds: number;
  /** This sidecar's id in the fleet (labels.id); defaults to host:port. */
  id?: string | undefined;
}

export interface StatusReporterDeps {
  settings: StatusSettings;
  engine: Engine;
  facts: () => FactSource | null;
  metrics: ServerMetrics;
  log: Logger;
  /** The port the sidecar listens on, for the default id. */
  port: number;
  clock?: () => number;
  /** How often the reporter looks for a changed revision or replica (ms). */
  changeCheckMs?: number;
  /** The bundle service client's status (downloads, errors), when the bundle comes from one. */
  bundleStatus?: (() => BundleStatus) | undefined;
  /** Every plugin's state as /health?plugins sees it; the reporter's own three otherwise. */
  plugins?: (() => Record<string, PluginStatus>) | undefined;
}

/** Decisions answered in a report's window, for one decision name. */
export interface DecisionWindow {
  count: number;
  denied: number;
  per_second: number;
  /** Denied / answered; null when nothing was answered. */
  deny_rate: number | null;
}

export interface StatusReport {
  labels: { id: string; version: string };
  bundles: Record<string, { name: string; active_revision?: string; last_successful_activation?: string } & Partial<BundleStatus>>;
  plugins: Record<string, PluginStatus>;
  capgate: {
    started_at: string;
    uptime_seconds: number;
    replica: ReplicaState;
    window_seconds: number;
    decisions: Record<string, DecisionWindow>;
    decisions_per_second: number;
    deny_rate: number | null;
  };
}

export interface StatusReporter {
  /** Sends a report now (after the one in flight, if any); resolves once it has been tried. */
  reportNow(): Promise<void>;
  /** OK while reports are delivered, ERROR while they fail (/health?plugins). */
  state(): PluginStatus;
  /** Stops the timers and waits for a report in flight. */
  close(): Promise<void>;
}

const SEND_TIMEOUT_MS = 5_000;
/** capgate's version (package.json), as reports and uploaded decision events label it. */
export const VERSION = readVersion();

/** Counts per decision name: [answered, denied]. */
type Counts = Map<string, [number, number]>;

export function startStatusReporter(deps: StatusReporterDeps): StatusReporter {
  const clock = deps.clock ?? Date.now;
  const startedAt = clock();
  const id = deps.settings.id ?? `${hostname()}:${deps.port}`;
  const target = `${deps.settings.url.replace(/\/+$/, "")}/status`;
  // The window starts where the last delivered report ended, so counts of a
  // report that failed to arrive are carried into the next one, not lost.
  let sent: { at: number; counts: Counts } = { at: startedAt, counts: new Map() };
  let activation: { revision: string | null; at: number } = { revision: null, at: startedAt };
  let fingerprint = "";
  let failing = false;
  let inFlight: Promise<void> | null = null;
  let again = false;
  let closed = false;

  const observe = (): string => {
    const revision = deps.engine.revision;
    if (revision !== activation.revision) activation = { revision, at: clock() };
    const r = replicaState(deps.facts);
    // A new download error or plugin state is a change worth a report too.
    return JSON.stringify([revision, r.status, r.version, deps.bundleStatus?.().message, deps.plugins?.()]);
  };

  const send = async (): Promise<void> => {
    fingerprint = observe();
    const now = clock();
    const counts = await decisionCounts(deps.metrics);
    const report = buildReport({
      id, now, startedAt, activation, bundlePath: deps.engine.path, engine: deps.engine, replica: replicaState(deps.facts), since: sent, counts,
      ...(deps.bundleStatus === undefined ? {} : { bundleStatus: deps.bundleStatus() }),
      ...(deps.plugins === undefined ? {} : { plugins: deps.plugins() }),
    });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (deps.settings.bearer !== undefined) headers["authorization"] = `Bearer ${deps.settings.bearer}`;
    try {
      const res = await fetch(target, { method: "POST", headers, body: JSON.stringify(report), signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`answered ${res.status}`);
      sent = { at: now, counts };
      if (failing) deps.log.info({ url: target }, "status reports delivered again");
      failing = false;
    } catch (e) {
      // One line per outage, not one per report.
      if (!failing) deps.log.warn({ url: target, err: (e as Error).message }, "status report not delivered; decisions are unaffected, retrying every interval");
      failing = true;
    }
  };

  const reportNow = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (inFlight !== null) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await send().catch((e: unknown) => deps.log.error({ err: (e as Error).message }, "status report failed"));
      } while (again && !closed);
      inFlight = null;
    })();
    return inFlight;
  };

  void reportNow();
  const periodic = setInterval(() => void reportNow(), deps.settings.interval_seconds * 1000);
  periodic.unref();
  const watcher = setInterval(() => {
    const next = observe();
    if (next === fingerprint) return;
    fingerprint = next;
    void reportNow();
  }, deps.changeCheckMs ?? 1000);
  watcher.unref();

  return {
    reportNow,
    state: () => (failing ? { state: "ERROR", message: `reports to ${target} are not delivered` } : { state: "OK" }),
    async close() {
      closed = true;
      clearInterval(periodic);
      clearInterval(watcher);
      await inFlight;
    },
  };
}

interface ReportParts {
  id: string;
  now: number;
  startedAt: number;
  activation: { revision: string | null; at: number };
  bundlePath: string | null;
  engine: Engine;
  replica: ReplicaState;
  since: { at: number; counts: Counts };
  counts: Counts;
  bundleStatus?: BundleStatus;
  plugins?: Record<string, PluginStatus>;
}

/** The report for the window from `since` to `now` (exported for tests). */
export function buildReport(p: ReportParts): StatusReport {
  const seconds = Math.max((p.now - p.since.at) / 1000, 0.001);
  const decisions: Record<string, DecisionWindow> = {};
  let total = 0;
  let totalDenied = 0;
  for (const [name, [count, denied]] of p.counts) {
    const [count0, denied0] = p.since.counts.get(name) ?? [0, 0];
    const n = count - count0;
    const d = denied - denied0;
    decisions[name] = { count: n, denied: d, per_second: n / seconds, deny_rate: n > 0 ? d / n : null };
    total += n;
    totalDenied += d;
  }
  const name = p.bundleStatus?.name ?? (p.bundlePath === null ? "policy" : basename(p.bundlePath));
  const revision = p.engine.revision;
  const bundle = revision === null ? { name } : { name, active_revision: revision, last_successful_activation: new Date(p.activation.at).toISOString() };
  return {
    labels: { id: p.id, version: VERSION },
    // The bundle service's own status, when there is one, has the downloads and errors (its activation time is the exact one).
    bundles: { [name]: { ...bundle, ...p.bundleStatus } },
    plugins: {
      ...(p.plugins ?? {
        bundle: p.engine.loaded ? { state: "OK" } : { state: "NOT_READY", message: "no policy bundle loaded" },
        replica: p.replica.status === "current" ? { state: "OK" } : { state: "NOT_READY", message: `replica ${p.replica.status}` },
      }),
      status: { state: "OK" },
    },
    capgate: {
      started_at: new Date(p.startedAt).toISOString(),
      uptime_seconds: Math.round((p.now - p.startedAt) / 1000),
      replica: p.replica,
      window_seconds: seconds,
      decisions,
      decisions_per_second: total / seconds,
      deny_rate: total > 0 ? totalDenied / total : null,
    },
  };
}

/** Answered and denied decisions since start, by decision name, from the sidecar's own counter. */
async function decisionCounts(metrics: ServerMetrics): Promise<Counts> {
  const counts: Counts = new Map();
  for (const { labels, value } of (await metrics.decisions.get()).values) {
    const name = String(labels["decision"] ?? "unknown");
    const entry = counts.get(name) ?? [0, 0];
    entry[0] += value;
    if (labels["outcome"] !== "allow") entry[1] += value;
    counts.set(name, entry);
  }
  return counts;
}

function replicaState(facts: () => FactSource | null): ReplicaState {
  try {
    return facts()?.state() ?? { status: "missing", version: null, age_seconds: null };
  } catch {
    return { status: "missing", version: null, age_seconds: null };
  }
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
