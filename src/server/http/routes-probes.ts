// GET /health (liveness; with ?bundles or ?plugins, those too), /ready (a
// policy loaded and a current replica, with both described) and /metrics
// (Prometheus text; the replica's age and the decision log's drops are read
// at the scrape).
import type { Hono } from "hono";
import { checkHealth } from "../health.js";
import type { AppDeps } from "./app.js";

export function probeRoutes(app: Hono, deps: Pick<AppDeps, "engine" | "facts" | "metrics" | "decisionLog" | "health">): void {
  app.get("/health", (c) => {
    const q = { bundles: c.req.query("bundles") !== undefined, plugins: c.req.query("plugins") !== undefined, excludePlugins: c.req.queries("exclude-plugin") ?? [] };
    const health = deps.health === undefined ? ({ ok: true } as const) : checkHealth(deps.health, q);
    return health.ok ? c.json({ status: "ok" }) : c.json({ error: { code: "unhealthy", message: health.message } }, 500);
  });

  app.get("/ready", (c) => {
    const facts = deps.facts();
    const replica = facts?.state() ?? { status: "missing", version: null, age_seconds: null };
    const ready = deps.engine.loaded && replica.status === "current";
    return c.json(
      { ready, policy: { loaded: deps.engine.loaded, revision: deps.engine.revision }, replica },
      ready ? 200 : 503,
    );
  });

  app.get("/metrics", async (c) => {
    const replica = deps.facts()?.state();
    deps.metrics.replicaAge.set(replica?.age_seconds ?? -1);
    deps.metrics.decisionLogDropped.set(deps.decisionLog.dropped);
    return c.body(await deps.metrics.registry.metrics(), 200, { "content-type": deps.metrics.registry.contentType });
  });
}
