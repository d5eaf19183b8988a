// The audit trail page (filter by tenant, actor and time; older entries by
// cursor) and the fleet page: each reporting sidecar, and the last hour's
// decisions per second and deny rate per decision as server-rendered SVG with
// the same numbers in a table for screen readers.
import type { Principal } from "../../principal.js";
import type { AuditRecord } from "../../store/index.js";
import type { FleetMember, PlotPoint } from "../status-store.js";
import { PLOT_MINUTES } from "../status-store.js";
import { FieldError, Layout, NextPage } from "./layout.js";

export interface AuditFilter {
  tenant: string;
  actor: string;
  since: string;
}

function brief(v: unknown): string {
  if (v === null || v === undefined) return "—";
  const text = JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

export function AuditPage(props: { principal: Principal; csrf: string; filter: AuditFilter; items: AuditRecord[]; next: string | null; error?: { field: string; message: string } | undefined }) {
  const f = props.filter;
  const err = (field: string) => (props.error?.field === field ? props.error.message : undefined);
  return (
    <Layout title="Audit trail" section="audit" principal={props.principal} csrf={props.csrf}>
      <form method="get" action="/admin/audit" class="filters" aria-label="Filter the audit trail">
        <div>
          <label for="audit-tenant">Tenant</label>
          <input id="audit-tenant" name="tenant" value={f.tenant} maxlength={200} />
          <FieldError id="audit-tenant-error" message={err("tenant")} />
        </div>
        <div>
          <label for="audit-actor">Actor</label>
          <input id="audit-actor" name="actor" value={f.actor} maxlength={200} />
        </div>
        <div>
          <label for="audit-since">Since (UTC)</label>
          <input id="audit-since" name="since" type="datetime-local" step={1} value={f.since} aria-describedby={err("since") === undefined ? undefined : "audit-since-error"} />
          <FieldError id="audit-since-error" message={err("since")} />
        </div>
        <button type="submit">Filter</button>
      </form>
      {props.items.length === 0 ? (
        <p>No entry matches.</p>
      ) : (
        <table class="audit">
          <caption class="visually-hidden">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Tenant</th>
              <th scope="col">Target</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((e) => (
              <tr>
                <td>{e.at.replace("T", " ").replace(/\.\d+Z$/, "")}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.tenant_id ?? "—"}</td>
                <td>{e.target}</td>
                <td class="json">{brief(e.before)}</td>
                <td class="json">{brief(e.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage href={props.next} label="Older entries" />
    </Layout>
  );
}

function age(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function pct(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** A sidecar that has not reported for this long is shown as silent. */
const SILENT_AFTER_SECONDS = 120;

export function FleetPage(props: { principal: Principal; csrf: string; fleet: FleetMember[]; plot: PlotPoint[] }) {
  return (
    <Layout title="Fleet" section="fleet" principal={props.principal} csrf={props.csrf}>
      {props.fleet.length === 0 ? (
        <p>No sidecar has reported yet. Give each sidecar a <code>status</code> section in its config (see sidecar/capgate.example.yaml).</p>
      ) : (
        <table>
          <caption class="visually-hidden">Sidecars that report their status</caption>
          <thead>
            <tr>
              <th scope="col">Sidecar</th>
              <th scope="col">Policy revision</th>
              <th scope="col">Replica version</th>
              <th scope="col" class="num">Replica age</th>
              <th scope="col" class="num">Decisions/s</th>
              <th scope="col" class="num">Deny rate</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {props.fleet.map((s) => {
              const silent = s.seconds_since_report > SILENT_AFTER_SECONDS;
              return (
                <tr class={silent ? "silent" : undefined}>
                  <th scope="row">
                    {s.sidecar_id}
                    {s.version === null ? "" : ` (capgate ${s.version})`}
                  </th>
                  <td>{s.policy_revision ?? "none loaded"}</td>
                  <td>
                    {s.replica_version ?? "—"}
                    {s.replica_status !== null && s.replica_status !== "current" && <strong class="warn"> {s.replica_status}</strong>}
                  </td>
                  <td class="num">{age(s.replica_age_seconds)}</td>
                  <td class="num">{s.decisions_per_second.toFixed(2)}</td>
                  <td class="num">{pct(s.deny_rate)}</td>
                  <td>
                    {age(s.seconds_since_report)} ago{silent && <strong class="warn"> (silent)</strong>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2 id="plot-heading">The last hour</h2>
      <Plot points={props.plot} />
    </Layout>
  );
}

// Colours with at least 4.5:1 contrast against white, told apart by dash pattern too.
const SERIES = [
  { stroke: "#1f4e99", dash: undefined },
  { stroke: "#a3330f", dash: "6 3" },
  { stroke: "#2b6b1f", dash: "2 3" },
  { stroke: "#6b2f8f", dash: "8 3 2 3" },
];

const W = 640;
const H = 160;
const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

function Chart(props: { id: string; title: string; names: string[]; points: PlotPoint[]; value: (p: PlotPoint) => number | null; max: number; format: (v: number) => string }) {
  const x = (minutesAgo: number) => PAD.left + ((PLOT_MINUTES - 1 - minutesAgo) / (PLOT_MINUTES - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / props.max) * (H - PAD.top - PAD.bottom);
  return (
    <figure class="chart">
      <svg id={props.id} viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby={`${props.id}-title`}>
        <title id={`${props.id}-title`}>{props.title}</title>
        <line x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} stroke="#595959" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={y(0)} stroke="#595959" />
        <text x={PAD.left - 6} y={PAD.top + 8} text-anchor="end" font-size="11" fill="#333">
          {props.format(props.max)}
        </text>
        <text x={PAD.left - 6} y={y(0)} text-anchor="end" font-size="11" fill="#333">
          0
        </text>
        <text x={PAD.left} y={H - 6} font-size="11" fill="#333">
          {PLOT_MINUTES} min ago
        </text>
        <text x={W - PAD.right} y={H - 6} text-anchor="end" font-size="11" fill="#333">
          now
        </text>
        {props.names.map((name, i) => {
          const style = SERIES[i % SERIES.length]!;
          const pts = props.points
            .filter((p) => p.decision === name && props.value(p) !== null)
            .sort((a, b) => b.minutes_ago - a.minutes_ago)
            .map((p) => `${x(p.minutes_ago).toFixed(1)},${y(Math.min(props.value(p)!, props.max)).toFixed(1)}`);
          if (pts.length === 0) return null;
          return pts.length === 1 ? (
            <circle cx={pts[0]!.split(",")[0]} cy={pts[0]!.split(",")[1]} r="3" fill={style.stroke} />
          ) : (
            <polyline points={pts.join(" ")} fill="none" stroke={style.stroke} stroke-width="2" stroke-dasharray={style.dash} />
          );
        })}
      </svg>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}

/** Rounds a maximum up to 1, 2 or 5 times a power of ten, so the axis label is a plain number. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v)!;
}

export function Plot(props: { points: PlotPoint[] }) {
  const names = [...new Set(props.points.map((p) => p.decision))].sort();
  if (names.length === 0) return <p>No decisions reported in the last hour.</p>;
  const maxRate = niceMax(Math.max(...props.points.map((p) => p.per_second)));
  return (
    <div class="plot" aria-labelledby="plot-heading">
      <ul class="legend" aria-label="Decisions plotted">
        {names.map((n, i) => (
          <li>
            <svg width="28" height="10" aria-hidden="true">
              <line x1="0" y1="5" x2="28" y2="5" stroke={SERIES[i % SERIES.length]!.stroke} stroke-width="2" stroke-dasharray={SERIES[i % SERIES.length]!.dash} />
            </svg>{" "}
            {n}
          </li>
        ))}
      </ul>
      <Chart id="plot-rate" title="Decisions per second, per decision (all sidecars)" names={names} points={props.points} value={(p) => p.per_second} max={maxRate} format={(v) => `${v}/s`} />
      <Chart id="plot-deny" title="Deny rate per decision" names={names} points={props.points} value={(p) => p.deny_rate} max={1} format={() => "100%"} />
      <details>
        <summary>The numbers</summary>
        <table>
          <caption class="visually-hidden">Decisions per second and deny rate per minute and decision</caption>
          <thead>
            <tr>
              <th scope="col" class="num">Minutes ago</th>
              <th scope="col">Decision</th>
              <th scope="col" class="num">Decisions/s</th>
              <th scope="col" class="num">Deny rate</th>
            </tr>
          </thead>
          <tbody>
            {props.points.map((p) => (
              <tr>
                <td class="num">{p.minutes_ago}</td>
                <td>{p.decision}</td>
                <td class="num">{p.per_second.toFixed(2)}</td>
                <td class="num">{pct(p.deny_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
