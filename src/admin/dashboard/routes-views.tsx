// Sign-in and sign-out, the audit trail and the fleet pages.
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AdminMountKit } from "../app.js";
import { authenticate as authenticateMiddleware, sourceOf } from "../middleware/index.js";
import { assertCanReadAll } from "../principal.js";
import { inputError } from "../../server/http/http-error.js";
import { errorPage, formFields, page, refusal } from "./render.js";
import type { DashboardEnv, SessionStore } from "./session.js";
import { parseStatusReport, readFleet, readPlot, recordStatus } from "./status-store.js";
import { AuditPage, FleetPage, type AuditFilter } from "./views/audit-fleet.js";
import { SignInPage } from "./views/sign-in.js";

const AUDIT_PAGE = 50;
const MAX_REPORT_BYTES = 256 * 1024;

export function signInRoutes(app: Hono<DashboardEnv>, kit: AdminMountKit, sessions: SessionStore): void {
  app.get("/admin/sign-in", (c) => page(c, <SignInPage flash={c.req.query("signed_out") === undefined ? undefined : "Signed out."} />));

  app.post("/admin/sign-in", async (c) => {
    const source = sourceOf(c);
    const wait = kit.limiter.retryAfter(source);
    if (wait > 0) return page(c, <SignInPage error={`Too many failed sign-ins from this address; try again in ${wait} s.`} />, 400);
    const token = (await formFields(c))("token").trim();
    const principal = token === "" ? null : await sessions.signIn(c, token);
    if (principal === null) {
      kit.limiter.fail(source);
      kit.log.info({ source }, "dashboard sign-in refused");
      return page(c, <SignInPage error="This token is not valid (or is revoked, or belongs to a sidecar)." />, 400);
    }
    kit.log.info({ actor: principal.actor, role: principal.role }, "dashboard sign-in");
    return c.redirect("/admin/tenants", 303);
  });
}

export function signOutRoute(app: Hono<DashboardEnv>, sessions: SessionStore): void {
  app.post("/admin/sign-out", (c) => {
    sessions.signOut(c);
    return c.redirect("/admin/sign-in?signed_out=1", 303);
  });
}

/** datetime-local text (taken as UTC) or an ISO time, as ISO; throws naming the field otherwise. */
function sinceOf(text: string): string | undefined {
  if (text === "") return undefined;
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw inputError("since", "invalid", "must be a date and time");
  return new Date(t).toISOString();
}

export function auditRoute(app: Hono<DashboardEnv>, kit: AdminMountKit): void {
  app.get("/admin/audit", async (c) => {
    const s = c.get("signedIn");
    const filter: AuditFilter = { tenant: c.req.query("tenant") ?? "", actor: c.req.query("actor") ?? "", since: c.req.query("since") ?? "" };
    const cursor = c.req.query("cursor");
    try {
      const since = sinceOf(filter.since);
      const result = await kit.service.listAudit(s.principal, {
        limit: AUDIT_PAGE,
        ...(filter.tenant === "" ? {} : { tenant: filter.tenant }),
        ...(filter.actor === "" ? {} : { actor: filter.actor }),
        ...(since === undefined ? {} : { since }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      const query = new URLSearchParams({ ...filter, ...(result.next_cursor === null ? {} : { cursor: result.next_cursor }) });
      const next = result.next_cursor === null ? null : `/admin/audit?${query.toString()}`;
      return page(c, <AuditPage principal={s.principal} csrf={s.csrf} filter={filter} items={result.items} next={next} />);
    } catch (e) {
      const r = refusal(e);
      if (r.status !== 400) return errorPage(c, e);
      return page(c, <AuditPage principal={s.principal} csrf={s.csrf} filter={filter} items={[]} next={null} error={{ field: r.field, message: r.message }} />, 400);
    }
  });
}

export function fleetRoute(app: Hono<DashboardEnv>, kit: AdminMountKit): void {
  app.get("/admin/fleet", async (c) => {
    const s = c.get("signedIn");
    try {
      assertCanReadAll(s.principal);
      const [fleet, plot] = [await readFleet(kit.primary), await readPlot(kit.primary)];
      return page(c, <FleetPage principal={s.principal} csrf={s.csrf} fleet={fleet} plot={plot} />);
    } catch (e) {
      return errorPage(c, e);
    }
  });
}

/**
 * POST /status: a sidecar's report (OPA's status API shape), accepted only
 * with an admin token of role sidecar. Errors answer the API's JSON shape.
 */
export function statusRoute(app: Hono<DashboardEnv>, kit: AdminMountKit): void {
  const auth = authenticateMiddleware(kit.authenticate, kit.limiter);
  const limit = bodyLimit({
    maxSize: MAX_REPORT_BYTES,
    onError: () => {
      throw inputError("body", "body_too_large", `is larger than the limit of ${MAX_REPORT_BYTES} bytes`);
    },
  });
  app.post("/status", auth, limit, async (c) => {
    const principal = c.get("principal");
    if (principal.role !== "sidecar") throw inputError("authorization", "forbidden", `role ${principal.role} may not report status; use a token of role sidecar`);
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) throw inputError("content-type", "unsupported_content_type", "must be application/json");
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw inputError("body", "malformed_json", `is not valid JSON (${(e as Error).message})`);
    }
    const report = parseStatusReport(body);
    await recordStatus(kit.primary, report, principal.actor);
    return c.body(null, 204);
  });
}
