// Counts and times every request by its route pattern (never the raw path,
// which holds tenant and user ids and would grow the label set without bound).
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AdminMetrics } from "../metrics.js";

export function requestMetrics(metrics: AdminMetrics): MiddlewareHandler {
  return async (c, next) => {
    const end = metrics.duration.startTimer();
    await next();
    // The route's own pattern: the last match that is not a wildcard middleware.
    const route = matchedRoutes(c).map((r) => r.path).filter((p) => !p.endsWith("*")).pop() ?? "unmatched";
    end({ method: c.req.method, route });
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
  };
}
