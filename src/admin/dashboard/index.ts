// The admin dashboard (issue 17): server-rendered pages at /admin/ for
// operators and tenant administrators, with htmx and a stylesheet served by
// this server (no CDN), and POST /status where sidecars report. It is mounted
// on the admin app through its extraRoutes point and calls the admin service,
// so every change is checked and audited exactly as through the API.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Hono } from "hono";
import type { AdminMountKit } from "../app.js";
import type { AdminEnv } from "../middleware/index.js";
import { rolloutRoutes } from "./routes-rollouts.js";
import { tenantRoutes } from "./routes-tenants.js";
import { auditRoute, fleetRoute, signInRoutes, signOutRoute, statusRoute } from "./routes-views.js";
import { bodyLimit } from "hono/body-limit";
import { requireCsrf, requireSession, sameOrigin, securityHeaders, SessionStore, type DashboardEnv } from "./session.js";
import { DASHBOARD_CSS } from "./styles.js";

export { parseStatusReport, readFleet, readPlot, recordStatus, type FleetMember, type PlotPoint } from "./status-store.js";

/** The pages that need a signed-in session (and a CSRF token on every POST). */
const SIGNED_IN = ["/admin/tenants", "/admin/tenants/*", "/admin/rollouts", "/admin/rollouts/*", "/admin/audit", "/admin/fleet", "/admin/sign-out"];

/** A dashboard form is a few fields; anything larger is refused before it is read. */
const formLimit = bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text("This form is too large.", 413) });

const HTMX = readFileSync(createRequire(import.meta.url).resolve("htmx.org/dist/htmx.min.js"), "utf8");

/** Mounts the dashboard and POST /status on the admin app (its extraRoutes). */
export function mountDashboard(adminApp: Hono<AdminEnv>, kit: AdminMountKit): void {
  // The dashboard's context adds the signed-in session to the admin app's variables.
  const app = adminApp as unknown as Hono<DashboardEnv>;
  const sessions = new SessionStore(kit.authenticate);

  statusRoute(app, kit);
  app.use("/admin/*", securityHeaders());
  app.post("/admin/*", sameOrigin(), formLimit);
  app.get("/admin", (c) => c.redirect("/admin/tenants", 303));
  app.get("/admin/", (c) => c.redirect("/admin/tenants", 303));
  const asset = (body: string, type: string) => () =>
    new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=3600" } });
  app.get("/admin/assets/htmx.min.js", asset(HTMX, "text/javascript; charset=utf-8"));
  app.get("/admin/assets/dashboard.css", asset(DASHBOARD_CSS, "text/css; charset=utf-8"));

  signInRoutes(app, kit, sessions);
  for (const path of SIGNED_IN) app.use(path, requireSession(sessions), requireCsrf());
  signOutRoute(app, sessions);
  tenantRoutes(app, kit);
  rolloutRoutes(app, kit);
  auditRoute(app, kit);
  fleetRoute(app, kit);
}
