// The admin server's Hono app: request id, service log and metrics on every
// request; /admin/v1 behind authentication with strict JSON bodies and zod
// validation from the route definitions; the OpenAPI 3.1 document generated
// from the same definitions; /health, /ready, /metrics; and one mount point
// (extraRoutes) where the dashboard adds its pages and POST /status.
import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { z } from "zod";
import { isCapgateError } from "../errors.js";
import type { Queryable } from "../primary/index.js";
import { fromZod, inputError, toHttpError } from "../server/http/http-error.js";
import { valueAt, wording } from "../zod-wording.js";
import type { Authenticate } from "./auth.js";
import type { AdminMetrics } from "./metrics.js";
import { createAdminMetrics } from "./metrics.js";
import {
  authenticate as authenticateMiddleware,
  failureLimiter,
  jsonBody,
  requestId,
  requestMetrics,
  serviceLog,
  type AdminEnv,
  type FailureLimiter,
} from "./middleware/index.js";
import { registerAuditRoutes } from "./routes/audit.js";
import { registerCapabilityRoutes } from "./routes/capabilities.js";
import { registerRolloutRoutes } from "./routes/rollouts.js";
import { registerTenantRoutes } from "./routes/tenants.js";
import { registerUserRoutes } from "./routes/users.js";
import type { AdminService } from "./service.js";
import { mountDashboard } from "./dashboard/index.js";

export const API_BASE = "/admin/v1";

/** What extraRoutes receives: the pieces a dashboard needs to enforce the same rules. */
export interface AdminMountKit {
  service: AdminService;
  authenticate: Authenticate;
  /** The same per-source failure count the API uses; a failed login should count too. */
  limiter: FailureLimiter;
  log: Logger;
  primary: Queryable;
}

export interface AdminAppDeps {
  service: AdminService;
  authenticate: Authenticate;
  /** For /ready: the primary must answer and carry the admin tables. */
  primary: Queryable;
  log: Logger;
  metrics?: AdminMetrics | undefined;
  maxBodyBytes?: number | undefined;
  authFailures?: { limit: number; windowSeconds: number } | undefined;
  /** The dashboard's mount point: its /admin/ pages and POST /status go here. */
  extraRoutes?: ((app: Hono<AdminEnv>, kit: AdminMountKit) => void) | undefined;
}

export function createAdminApp(deps: AdminAppDeps): Hono<AdminEnv> {
  const metrics = deps.metrics ?? createAdminMetrics();
  const limits = deps.authFailures ?? { limit: 10, windowSeconds: 60 };
  const limiter = failureLimiter({ limit: limits.limit, windowMs: limits.windowSeconds * 1000 });
  const app = new Hono<AdminEnv>();

  app.onError((e, c) => {
    const err = e instanceof HTTPException ? fromHttpException(e) : e;
    if (!isCapgateError(err)) deps.log.error({ err: (e as Error).message, stack: (e as Error).stack, path: c.req.path }, "unexpected error");
    const { status, body } = toHttpError(err);
    c.set("refusal", { code: body.error.code, message: body.error.message });
    return c.json(body, status);
  });
  app.notFound((c) => {
    throw inputError("path", "unknown_route", `no route ${c.req.method} ${c.req.path}`);
  });

  app.use("*", requestId());
  app.use("*", serviceLog(deps.log));
  app.use("*", requestMetrics(metrics));

  const api = new OpenAPIHono<AdminEnv>({
    defaultHook: async (result, c) => {
      if (result.success) return;
      const data = await validatedValue(c, result.target);
      throw fromZod(worded(result.error, data), "", data);
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "an admin token (capgate admin token create) or, when configured, an OIDC JWT",
  });
  api.use("*", authenticateMiddleware(deps.authenticate, limiter, () => metrics.authFailures.inc()));
  api.use("*", jsonBody(deps.maxBodyBytes ?? 64 * 1024));
  registerCapabilityRoutes(api, deps.service);
  registerTenantRoutes(api, deps.service);
  registerUserRoutes(api, deps.service);
  registerAuditRoutes(api, deps.service);
  registerRolloutRoutes(api, deps.service);

  const document = api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "capgate admin API", version: "1", description: "Capability administration on the primary; sidecars see changes through the change feed." },
    servers: [{ url: API_BASE }],
  });
  // Public, like /health: it describes the API and holds no data.
  app.get(`${API_BASE}/openapi.json`, (c) => c.json(document));
  app.route(API_BASE, api);

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    try {
      await deps.primary.query("SELECT 1 FROM admin_audit LIMIT 1");
      return c.json({ ready: true, primary: "ok" }, 200);
    } catch (e) {
      return c.json({ ready: false, primary: (e as Error).message }, 503);
    }
  });
  app.get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }));

  (deps.extraRoutes ?? mountDashboard)(app, { service: deps.service, authenticate: deps.authenticate, limiter, log: deps.log, primary: deps.primary });
  return app;
}

/** zod's issues phrased in capgate's words (the validator parses without them). */
function worded(error: z.ZodError, data: unknown): z.ZodError {
  const issues = error.issues.map((issue) => {
    const input = valueAt(data, issue.path);
    const message = wording({ ...issue, input } as unknown as Parameters<typeof wording>[0]);
    return typeof message === "string" ? { ...issue, message } : issue;
  });
  return { ...error, issues } as z.ZodError;
}

/** What the validator saw, for naming a missing field apart from a wrong one. */
async function validatedValue(c: Context, target: string): Promise<unknown> {
  if (target === "json") return c.req.json().catch(() => undefined);
  if (target === "query") return c.req.query();
  if (target === "param") return c.req.param();
  if (target === "header") return c.req.header();
  return undefined;
}


function fromHttpException(e: HTTPException) {
  if (e.status === 415) return inputError("content-type", "unsupported_content_type", "must be application/json");
  if (e.status === 400) return inputError("body", "malformed_json", e.message || "is not valid JSON");
  return e;
}
