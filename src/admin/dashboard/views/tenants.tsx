// Tenant pages: the searchable, paginated list (TTL limit, MFA requirement and
// features per tenant), one tenant's page with a form per setting — checked in
// the browser by HTML constraints, and showing the server's refusal next to the
// field — and the tenant's users with their enrollment per method.
import type { Principal } from "../../principal.js";
import type { TenantView } from "../../service.js";
import type { UserView } from "../../store/index.js";
import { CsrfField, FieldError, Layout, NextPage } from "./layout.js";

export const TTL_MIN = 60;
export const TTL_MAX = 31_536_000;

export function ttlOf(t: TenantView): number | null {
  const s = t.capabilities["max_token_ttl"]?.value["seconds"];
  return typeof s === "number" ? s : null;
}

export function mfaRequired(t: TenantView): boolean {
  return t.capabilities["mfa"]?.value["required"] === true;
}

function Features(props: { t: TenantView }) {
  const on = Object.entries(props.t.features).filter(([, f]) => f.enabled).map(([k]) => k);
  return <>{on.length === 0 ? "none" : on.join(", ")}</>;
}

export function TenantList(props: { principal: Principal; csrf: string; tenants: TenantView[]; q: string; next: string | null; flash?: string | undefined }) {
  return (
    <Layout title="Tenants" section="tenants" principal={props.principal} csrf={props.csrf} flash={props.flash}>
      <form method="get" action="/admin/tenants" role="search" class="inline">
        <label for="tenant-search">Search tenants by id or name</label>
        <input
          id="tenant-search"
          type="search"
          name="q"
          value={props.q}
          maxlength={100}
          hx-get="/admin/tenants"
          hx-trigger="input changed delay:300ms, search"
          hx-target="#tenant-results"
          hx-select="#tenant-results"
          hx-swap="outerHTML"
          hx-push-url="true"
        />
        <button type="submit">Search</button>
      </form>
      <div id="tenant-results">
        {props.tenants.length === 0 ? (
          <p>No tenant matches.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Tenants and their capabilities</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Name</th>
                <th scope="col" class="num">Token TTL limit</th>
                <th scope="col">MFA required</th>
                <th scope="col">Features on</th>
              </tr>
            </thead>
            <tbody>
              {props.tenants.map((t) => (
                <tr>
                  <th scope="row">
                    <a href={`/admin/tenants/${encodeURIComponent(t.id)}`}>{t.id}</a>
                  </th>
                  <td>{t.name}</td>
                  <td class="num">{ttlOf(t) === null ? "—" : `${ttlOf(t)} s`}</td>
                  <td>{mfaRequired(t) ? "yes" : "no"}</td>
                  <td>
                    <Features t={t} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <NextPage href={props.next} label="Next page" />
      </div>
    </Layout>
  );
}

/** What a refused form sent, and the server's message, shown beside the field it concerns. */
export interface FormErrors {
  ttl?: { value: string; message: string } | undefined;
  mfa?: string | undefined;
  feature?: string | undefined;
}

export function TenantPage(props: { principal: Principal; csrf: string; t: TenantView; errors?: FormErrors; flash?: string | undefined }) {
  const { t } = props;
  const base = `/admin/tenants/${encodeURIComponent(t.id)}`;
  const ttl = t.capabilities["max_token_ttl"];
  const mfa = t.capabilities["mfa"];
  const ttlError = props.errors?.ttl;
  const canWrite = props.principal.role === "operator" || props.principal.role === "tenant-admin";
  return (
    <Layout title={`Tenant ${t.id}`} section="tenants" principal={props.principal} csrf={props.csrf} flash={props.flash}>
      <p>
        {t.name} · <a href={`${base}/users`}>Users of {t.id}</a>
      </p>

      <section aria-labelledby="ttl-heading">
        <h2 id="ttl-heading">Token TTL limit</h2>
        <form method="post" action={`${base}/capabilities/max_token_ttl`} class="setting">
          <CsrfField csrf={props.csrf} />
          <input type="hidden" name="if_match" value={ttl?.etag ?? ""} />
          <label for="ttl">Longest token lifetime, in seconds ({TTL_MIN} to {TTL_MAX})</label>
          <input
            id="ttl"
            name="seconds"
            type="number"
            inputmode="numeric"
            required
            min={TTL_MIN}
            max={TTL_MAX}
            step={1}
            value={ttlError?.value ?? String(ttlOf(t) ?? "")}
            aria-invalid={ttlError === undefined ? undefined : "true"}
            aria-describedby={ttlError === undefined ? "ttl-source" : "ttl-error ttl-source"}
            disabled={!canWrite}
          />
          <FieldError id="ttl-error" message={ttlError?.message} />
          <p class="hint" id="ttl-source">
            Source: {ttl?.source ?? "default"}
            {ttl?.updated_at == null ? "" : `, changed ${ttl.updated_at}`}
          </p>
          {canWrite && <button type="submit">Save TTL limit</button>}
        </form>
      </section>

      <section aria-labelledby="mfa-heading">
        <h2 id="mfa-heading">MFA requirement</h2>
        <form method="post" action={`${base}/capabilities/mfa`} class="setting">
          <CsrfField csrf={props.csrf} />
          <input type="hidden" name="if_match" value={mfa?.etag ?? ""} />
          <input type="hidden" name="present" value="1" />
          <div class="check">
            <input id="mfa-required" name="required" type="checkbox" value="true" checked={mfaRequired(t)} disabled={!canWrite} aria-describedby="mfa-source" />
            <label for="mfa-required">Users of this tenant must pass MFA to get a token</label>
          </div>
          <FieldError id="mfa-error" message={props.errors?.mfa} />
          <p class="hint" id="mfa-source">
            Source: {mfa?.source ?? "default"}
          </p>
          {canWrite && <button type="submit">Save MFA requirement</button>}
        </form>
      </section>

      <section aria-labelledby="features-heading">
        <h2 id="features-heading">Features</h2>
        {Object.entries(t.features).map(([key, f]) => (
          <form method="post" action={`${base}/features/${encodeURIComponent(key)}`} class="setting">
            <CsrfField csrf={props.csrf} />
            <input type="hidden" name="if_match" value={f.etag} />
            <input type="hidden" name="present" value="1" />
            <div class="check">
              <input id={`feature-${key}`} name="enabled" type="checkbox" value="true" checked={f.enabled} disabled={!canWrite} />
              <label for={`feature-${key}`}>Feature {key} enabled</label>
            </div>
            <FieldError id={`feature-${key}-error`} message={props.errors?.feature} />
            {canWrite && <button type="submit">Save feature {key}</button>}
          </form>
        ))}
      </section>
    </Layout>
  );
}

const METHODS = ["mfa", "totp"] as const;

export function UsersPage(props: { principal: Principal; csrf: string; tenantId: string; users: UserView[]; next: string | null; flash?: string | undefined }) {
  const base = `/admin/tenants/${encodeURIComponent(props.tenantId)}`;
  const canWrite = props.principal.role === "operator" || props.principal.role === "tenant-admin";
  return (
    <Layout title={`Users of ${props.tenantId}`} section="tenants" principal={props.principal} csrf={props.csrf} flash={props.flash}>
      <p>
        <a href={base}>Back to tenant {props.tenantId}</a>
      </p>
      {props.users.length === 0 ? (
        <p>This tenant has no users.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Users and their enrollment per method</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Email</th>
              {METHODS.map((m) => (
                <th scope="col">{m.toUpperCase()}</th>
              ))}
              {canWrite && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {props.users.map((u) => (
              <tr>
                <th scope="row">{u.id}</th>
                <td>{u.email ?? "—"}</td>
                {METHODS.map((m) => (
                  <td>{u.capabilities[m]?.status ?? "not enrolled"}</td>
                ))}
                {canWrite && (
                  <td>
                    {u.capabilities["totp"] === undefined ? "—" : <a href={`${base}/users/${encodeURIComponent(u.id)}/reset-mfa`}>Reset MFA of {u.id}</a>}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage href={props.next} label="Next page" />
    </Layout>
  );
}

export function ResetConfirmPage(props: { principal: Principal; csrf: string; tenantId: string; user: UserView }) {
  const base = `/admin/tenants/${encodeURIComponent(props.tenantId)}`;
  return (
    <Layout title={`Reset MFA of ${props.user.id}?`} section="tenants" principal={props.principal} csrf={props.csrf}>
      <p>
        This removes {props.user.id}'s TOTP enrollment (and any pending one). The user must enroll again before passing MFA. The reset is recorded in the
        audit trail.
      </p>
      <form method="post" action={`${base}/users/${encodeURIComponent(props.user.id)}/reset-mfa`} class="inline">
        <CsrfField csrf={props.csrf} />
        <button type="submit" class="danger">
          Yes, reset MFA of {props.user.id}
        </button>
        <a href={`${base}/users`}>Cancel</a>
      </form>
    </Layout>
  );
}
