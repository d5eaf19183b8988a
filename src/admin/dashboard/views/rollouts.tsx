// Rollout pages: the list with a progress bar each, the form that creates a
// rollout, and one rollout's page with its tenants per stage and the advance
// and roll-back buttons (roll-back after a confirmation step).
import type { Principal } from "../../principal.js";
import type { RolloutView } from "../../service.js";
import { CsrfField, FieldError, Layout } from "./layout.js";
import { TTL_MAX, TTL_MIN } from "./tenants.js";

function describeTarget(r: RolloutView): string {
  const v = r.value;
  if (r.target.kind === "feature") return `feature ${r.target.key} ${v["enabled"] === true ? "on" : "off"}`;
  if (r.target.key === "max_token_ttl") return `max_token_ttl ${String(v["seconds"])} s`;
  if (r.target.key === "mfa") return `mfa required ${v["required"] === true ? "yes" : "no"}`;
  return `${r.target.key} ${JSON.stringify(v)}`;
}

function Progress(props: { r: RolloutView }) {
  const { r } = props;
  const reached = r.current_stage === 0 ? 0 : r.stages[r.current_stage - 1]!.percent;
  // After a rollback no tenant holds the rollout's value any more: the bar is empty.
  const shown = r.status === "rolled_back" ? 0 : reached;
  return (
    <span class="progress">
      <progress id={`progress-${r.id}`} max={100} value={shown} aria-label={`Rollout ${r.id} progress`}>
        {shown}%
      </progress>
      <span>
        {r.status === "rolled_back"
          ? `rolled back after stage ${r.current_stage} of ${r.stages.length}`
          : `stage ${r.current_stage} of ${r.stages.length} (${reached}% of tenants)`}
      </span>
    </span>
  );
}

export interface CreateForm {
  target: string;
  seconds: string;
  enabled: boolean;
  stages: string;
  allow: string;
  deny: string;
}

export const EMPTY_CREATE: CreateForm = { target: "capability:max_token_ttl", seconds: "600", enabled: true, stages: "5,25,50,100", allow: "", deny: "" };

export function RolloutList(props: { principal: Principal; csrf: string; rollouts: RolloutView[]; form: CreateForm; error?: { field: string; message: string } | undefined; flash?: string | undefined }) {
  const f = props.form;
  const err = (field: string) => (props.error?.field === field ? props.error.message : undefined);
  const operator = props.principal.role === "operator";
  return (
    <Layout title="Rollouts" section="rollouts" principal={props.principal} csrf={props.csrf} flash={props.flash}>
      {props.rollouts.length === 0 ? (
        <p>No rollout yet.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Rollouts, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Rollout</th>
              <th scope="col">Sets</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
            </tr>
          </thead>
          <tbody>
            {props.rollouts.map((r) => (
              <tr>
                <th scope="row">
                  <a href={`/admin/rollouts/${encodeURIComponent(r.id)}`}>{r.id}</a>
                </th>
                <td>{describeTarget(r)}</td>
                <td>{r.status.replace("_", " ")}</td>
                <td>
                  <Progress r={r} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {operator && (
        <section aria-labelledby="create-heading">
          <h2 id="create-heading">New rollout</h2>
          <form method="post" action="/admin/rollouts" class="setting">
            <CsrfField csrf={props.csrf} />
            <label for="rollout-target">What to roll out</label>
            <select id="rollout-target" name="target">
              {[
                ["capability:max_token_ttl", "Token TTL limit (seconds below)"],
                ["capability:mfa", "MFA requirement (checkbox below)"],
                ["feature:mfa", "Feature mfa (checkbox below)"],
              ].map(([value, label]) => (
                <option value={value} selected={f.target === value}>
                  {label}
                </option>
              ))}
            </select>
            <FieldError id="rollout-target-error" message={err("target")} />
            <label for="rollout-seconds">TTL limit in seconds, for a TTL rollout</label>
            <input id="rollout-seconds" name="seconds" type="number" min={TTL_MIN} max={TTL_MAX} step={1} value={f.seconds} aria-describedby={err("seconds") === undefined ? undefined : "rollout-seconds-error"} />
            <FieldError id="rollout-seconds-error" message={err("seconds")} />
            <div class="check">
              <input id="rollout-enabled" name="enabled" type="checkbox" value="true" checked={f.enabled} />
              <label for="rollout-enabled">Required / enabled, for an MFA or feature rollout</label>
            </div>
            <label for="rollout-stages">Stages: rising percents of tenants, comma-separated</label>
            <input
              id="rollout-stages"
              name="stages"
              required
              pattern="\s*\d{1,3}\s*(,\s*\d{1,3}\s*)*"
              value={f.stages}
              aria-describedby={err("stages") === undefined ? "rollout-stages-hint" : "rollout-stages-error rollout-stages-hint"}
            />
            <p class="hint" id="rollout-stages-hint">
              For example 5,25,50,100. Tenants are picked by a stable hash of their id, so a stage only adds tenants.
            </p>
            <FieldError id="rollout-stages-error" message={err("stages")} />
            <label for="rollout-allow">Only these tenants (optional, comma-separated ids)</label>
            <input id="rollout-allow" name="allow" value={f.allow} />
            <FieldError id="rollout-allow-error" message={err("allow")} />
            <label for="rollout-deny">Never these tenants (optional, comma-separated ids)</label>
            <input id="rollout-deny" name="deny" value={f.deny} />
            <FieldError id="rollout-deny-error" message={err("deny")} />
            <FieldError id="rollout-error" message={err("")} />
            <button type="submit">Create rollout</button>
          </form>
        </section>
      )}
    </Layout>
  );
}

export function RolloutPage(props: { principal: Principal; csrf: string; r: RolloutView; confirmRollback?: boolean; flash?: string | undefined; error?: string | undefined }) {
  const { r } = props;
  const base = `/admin/rollouts/${encodeURIComponent(r.id)}`;
  const operator = props.principal.role === "operator";
  return (
    <Layout title={`Rollout ${r.id}`} section="rollouts" principal={props.principal} csrf={props.csrf} flash={props.flash}>
      <dl class="facts">
        <dt>Sets</dt>
        <dd>{describeTarget(r)}</dd>
        <dt>Status</dt>
        <dd>{r.status.replace("_", " ")}</dd>
        <dt>Progress</dt>
        <dd>
          <Progress r={r} />
        </dd>
        <dt>Created</dt>
        <dd>
          {r.created_at} by {r.created_by}
        </dd>
        {r.allow.length > 0 && (
          <>
            <dt>Only</dt>
            <dd>{r.allow.join(", ")}</dd>
          </>
        )}
        {r.deny.length > 0 && (
          <>
            <dt>Never</dt>
            <dd>{r.deny.join(", ")}</dd>
          </>
        )}
      </dl>
      {props.error !== undefined && (
        <p class="field-error" role="alert">
          {props.error}
        </p>
      )}
      <table>
        <caption>Tenants per stage</caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col" class="num">Percent</th>
            <th scope="col">Applied</th>
            <th scope="col">Tenants</th>
          </tr>
        </thead>
        <tbody>
          {r.stages.map((s) => (
            <tr>
              <th scope="row">{s.stage}</th>
              <td class="num">{s.percent}%</td>
              <td>{s.applied ? "yes" : "not yet"}</td>
              <td>{s.tenants.length === 0 ? "—" : s.tenants.join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.rollback !== null && (
        <p>
          Rolled back: restored {r.rollback.restored.length === 0 ? "no tenant" : r.rollback.restored.join(", ")}
          {r.rollback.kept.length > 0 && `; kept (changed by an administrator since): ${r.rollback.kept.join(", ")}`}.
        </p>
      )}
      {operator && r.status === "active" && (
        <form method="post" action={`${base}/advance`} class="inline">
          <CsrfField csrf={props.csrf} />
          <button type="submit">Advance to stage {r.current_stage + 1} ({r.stages[r.current_stage]?.percent}%)</button>
        </form>
      )}
      {operator && r.status !== "rolled_back" && !props.confirmRollback && (
        <p>
          <a href={`${base}/rollback`} class="button danger">
            Roll back…
          </a>
        </p>
      )}
      {operator && r.status !== "rolled_back" && props.confirmRollback === true && (
        <form method="post" action={`${base}/rollback`} class="inline confirm">
          <p>Every tenant row this rollout wrote returns to what it was; rows an administrator changed since are kept and listed.</p>
          <CsrfField csrf={props.csrf} />
          <button type="submit" class="danger">
            Yes, roll back {r.id}
          </button>
          <a href={base}>Cancel</a>
        </form>
      )}
    </Layout>
  );
}
