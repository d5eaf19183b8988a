// The sidecar's HTTP surface (Hono): the decision routes (routes-decide.ts),
// AuthZEN (../authzen), TOTP (routes-totp.ts) and the probes /health, /ready
// and /metrics (routes-probes.ts), behind the Host check, the admin token and
// the body limit. Routes parse and validate, then hand over to the Decider or
// src/totp; every error is thrown as CapgateError and turned into the one JSON
// error shape by onError.
import { Hono, type MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { isCapgateError } from "../../errors.js";
import type { Decider, FactSource } from "../decide/index.js";
import type { DecisionLog } from "../decision-log.js";
import type { Engine } from "../../policy/runtime/index.js";
import type { TotpDeps } from "../../totp/index.js";
import { AUTHZEN_DEFAULTS, mountAuthZen, type AuthZenSettings } from "../authzen/index.js";
import type { HealthSource } from "../health.js";
import type { ServerMetrics } from "../metrics.js";
import { adminAuth } from "./admin-auth.js";
import { declaredBodyLimit } from "./body-limit.js";
import { toHttpError } from "./http-error.js";
import { notFoundOrWrongMethod } from "./method-check.js";
import { readJson } from "./read-json.js";
import { decisionRoutes } from "./routes-decide.js";
import { probeRoutes } from "./routes-probes.js";
import { totpRoutes } from "./routes-totp.js";

export interface AppDeps {
  decider: Decider;
  engine: Engine;
  facts: () => FactSource | null;
  totp: TotpDeps;
  metrics: ServerMetrics;
  decisionLog: DecisionLog;
  log: Logger;
  maxBodyBytes: number;
  maxBatch: number;
  /** When set, every route but /health needs `Authorization: Bearer <token>`. */
  adminToken?: string | undefined;
  /** Refuses a Host header naming no address of this sidecar (DNS rebinding); see host-check.ts. */
  hostCheck: MiddlewareHandler;
  /** The AuthZEN routes' settings (src/server/authzen/); their defaults when absent. */
  authzen?: AuthZenSettings | undefined;
  decisionDeadlineMs?: number | undefined;
  /** What /health?bundles and ?plugins check (health.ts); plain /health only without it. */
  health?: HealthSource | undefined;
  /** Extra routes on the same app (the benchmark's no-op baseline route). */
  extraRoutes?: ((app: Hono) => void) | undefined;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.onError((e, c) => {
    if (!isCapgateError(e)) deps.log.error({ err: e.message, stack: e.stack, path: c.req.path }, "unexpected error");
    const { status, body } = toHttpError(e);
    return c.json(body, status);
  });
  app.notFound(notFoundOrWrongMethod(app));
  app.use("*", deps.hostCheck);

  if (deps.adminToken !== undefined) app.use("*", adminAuth({ token: deps.adminToken, exempt: ["/health"] }));

  const limit = declaredBodyLimit(deps.maxBodyBytes);

  decisionRoutes(app, deps, limit);

  mountAuthZen(app, {
    engine: deps.engine,
    replica: deps.facts,
    decisionLog: deps.decisionLog,
    metrics: deps.metrics,
    settings: deps.authzen ?? AUTHZEN_DEFAULTS,
    deadlineMs: deps.decisionDeadlineMs ?? 100,
    maxEvaluations: deps.maxBatch,
    limit,
    readJson,
  });

  totpRoutes(app, deps, limit);

  deps.extraRoutes?.(app);

  probeRoutes(app, deps);

  return app;
}

