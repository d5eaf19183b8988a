// Sidecar status reports on the primary (migration 000010): each report is
// validated against the OPA status API fields capgate reads (plus capgate's
// own), stored as the sidecar's latest, and its window's decision counts are
// added to per-minute samples that feed the last hour's plot.
import { z } from "zod";
import type { Queryable } from "../../primary/index.js";
import { inputError } from "../../server/http/http-error.js";
import { safeParseWorded } from "../../zod-wording.js";
import { isoSql } from "../store/time.js";

/** How far back the plot looks, and how long samples are kept. */
export const PLOT_MINUTES = 60;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const rate = z.number().min(0).max(1e9);
const pluginState = z.looseObject({ state: z.string().max(40), message: z.string().max(2000).optional() });

const decisionWindow = z
  .object({ count, denied: count, per_second: rate, deny_rate: z.number().min(0).max(1).nullable() })
  .strict()
  .refine((d) => d.denied <= d.count, { message: "denied must not exceed count", path: ["denied"] });

/** The capgate fields a capgate sidecar adds to OPA's report; absent from an OPA agent's. */
const capgateFields = z
  .object({
    started_at: z.iso.datetime(),
    uptime_seconds: z.number().min(0),
    replica: z.looseObject({
      status: z.string().max(40),
      version: z.string().max(200).nullable(),
      age_seconds: z.number().nullable(),
    }),
    window_seconds: z.number().positive().max(86_400 * 365),
    decisions: z.record(z.string().min(1).max(100), decisionWindow).refine((d) => Object.keys(d).length <= 50, "must name at most 50 decisions"),
    decisions_per_second: rate,
    deny_rate: z.number().min(0).max(1).nullable(),
  })
  .strict();

/** OPA's status report (https://www.openpolicyagent.org/docs/management-status) as far as capgate reads it. */
export const statusReportSchema = z
  .object({
    labels: z.looseObject({ id: z.string().min(1).max(200), version: z.string().max(100).optional() }),
    bundles: z.record(z.string().max(200), z.looseObject({ name: z.string().max(200).optional(), active_revision: z.string().max(200).optional() })).optional(),
    bundle: z.looseObject({}).optional(),
    discovery: z.looseObject({}).optional(),
    plugins: z.record(z.string().max(100), pluginState).optional(),
    metrics: z.looseObject({}).optional(),
    decision_logs: z.looseObject({}).optional(),
    capgate: capgateFields.optional(),
  })
  .strict();

export type ParsedStatusReport = z.infer<typeof statusReportSchema>;

/** The report, or a 400 naming the first field that is wrong. */
export function parseStatusReport(body: unknown): ParsedStatusReport {
  const parsed = safeParseWorded(statusReportSchema, body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".") || "body";
  if (issue.code === "unrecognized_keys") throw inputError(field === "body" ? issue.keys[0]! : `${field}.${issue.keys[0]!}`, "unknown_field", "is not a known field");
  throw inputError(field, "invalid", issue.message);
}

/**
 * Stores a report as its sidecar's latest, adds its counts to this minute's
 * samples and drops samples older than the plot: one statement, so the three
 * happen together or not at all.
 */
export async function recordStatus(db: Queryable, report: ParsedStatusReport, reportedBy: string): Promise<void> {
  const revisions = Object.values(report.bundles ?? {}).map((b) => b.active_revision).filter((r) => r !== undefined);
  const cg = report.capgate;
  const windows = Object.entries(cg?.decisions ?? {}).map(([name, w]) => ({ name, count: w.count, denied: w.denied }));
  await db.query(
    `WITH latest AS (
       INSERT INTO sidecar_status (sidecar_id, version, policy_revision, replica_status, replica_version, replica_age_seconds,
                                   decisions_per_second, deny_rate, report, reported_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
       ON CONFLICT (sidecar_id) DO UPDATE SET
         version = EXCLUDED.version, policy_revision = EXCLUDED.policy_revision,
         replica_status = EXCLUDED.replica_status, replica_version = EXCLUDED.replica_version,
         replica_age_seconds = EXCLUDED.replica_age_seconds, decisions_per_second = EXCLUDED.decisions_per_second,
         deny_rate = EXCLUDED.deny_rate, report = EXCLUDED.report, reported_by = EXCLUDED.reported_by, last_seen = now()
       RETURNING sidecar_id
     ), samples AS (
       INSERT INTO sidecar_status_samples (sidecar_id, minute, decision, decisions, denied, seconds)
       SELECT latest.sidecar_id, date_trunc('minute', now()), d.name, d.count, d.denied, $12
         FROM latest, jsonb_to_recordset($11::jsonb) AS d(name text, count bigint, denied bigint)
       ON CONFLICT (sidecar_id, minute, decision) DO UPDATE SET
         decisions = sidecar_status_samples.decisions + EXCLUDED.decisions,
         denied = sidecar_status_samples.denied + EXCLUDED.denied,
         seconds = sidecar_status_samples.seconds + EXCLUDED.seconds
     )
     DELETE FROM sidecar_status_samples WHERE minute < date_trunc('minute', now()) - make_interval(mins => $13)`,
    [
      report.labels.id,
      report.labels.version ?? null,
      revisions.length === 0 ? null : revisions.join(", "),
      cg?.replica.status ?? null,
      cg?.replica.version ?? null,
      cg?.replica.age_seconds ?? null,
      cg?.decisions_per_second ?? 0,
      cg?.deny_rate ?? null,
      JSON.stringify(report),
      reportedBy,
      JSON.stringify(windows),
      cg?.window_seconds ?? 0,
      PLOT_MINUTES,
    ],
  );
}

export interface FleetMember {
  sidecar_id: string;
  version: string | null;
  policy_revision: string | null;
  replica_status: string | null;
  replica_version: string | null;
  replica_age_seconds: number | null;
  decisions_per_second: number;
  deny_rate: number | null;
  plugins: Record<string, { state: string; message?: string }>;
  first_seen: string;
  last_seen: string;
  /** Seconds since the last report, by the primary's clock. */
  seconds_since_report: number;
}

/** Every sidecar that has reported, most recently seen first. */
export async function readFleet(db: Queryable): Promise<FleetMember[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT sidecar_id, version, policy_revision, replica_status, replica_version, replica_age_seconds,
            decisions_per_second, deny_rate, report -> 'plugins' AS plugins,
            ${isoSql("first_seen")} AS first_seen, ${isoSql("last_seen")} AS last_seen,
            extract(epoch FROM now() - last_seen)::float8 AS since
       FROM sidecar_status ORDER BY last_seen DESC, sidecar_id`,
  );
  return rows.map((r) => ({
    sidecar_id: String(r["sidecar_id"]),
    version: textOrNull(r["version"]),
    policy_revision: textOrNull(r["policy_revision"]),
    replica_status: textOrNull(r["replica_status"]),
    replica_version: textOrNull(r["replica_version"]),
    replica_age_seconds: numberOrNull(r["replica_age_seconds"]),
    decisions_per_second: Number(r["decisions_per_second"]),
    deny_rate: numberOrNull(r["deny_rate"]),
    plugins: (r["plugins"] ?? {}) as FleetMember["plugins"],
    first_seen: String(r["first_seen"]),
    last_seen: String(r["last_seen"]),
    seconds_since_report: Number(r["since"]),
  }));
}

/** One minute of the fleet's decisions for one decision name. */
export interface PlotPoint {
  /** Minutes before the current minute (0: the current one). */
  minutes_ago: number;
  decision: string;
  /** Summed over sidecars: each sidecar's decisions over the seconds its reports covered. */
  per_second: number;
  /** Denied / answered in that minute; null when nothing was answered. */
  deny_rate: number | null;
}

/** The last hour, per minute and decision name. */
export async function readPlot(db: Queryable): Promise<PlotPoint[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT (extract(epoch FROM date_trunc('minute', now()) - minute) / 60)::int AS minutes_ago, decision,
            sum(CASE WHEN seconds > 0 THEN decisions / seconds ELSE 0 END)::float8 AS per_second,
            sum(decisions)::float8 AS decisions, sum(denied)::float8 AS denied
       FROM sidecar_status_samples
      WHERE minute >= date_trunc('minute', now()) - make_interval(mins => $1)
      GROUP BY minute, decision ORDER BY minute, decision`,
    [PLOT_MINUTES - 1],
  );
  return rows.map((r) => {
    const decisions = Number(r["decisions"]);
    return {
      minutes_ago: Number(r["minutes_ago"]),
      decision: String(r["decision"]),
      per_second: Number(r["per_second"]),
      deny_rate: decisions > 0 ? Number(r["denied"]) / decisions : null,
    };
  });
}

function textOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function numberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
