// The admin server's Prometheus metrics, on a registry of its own.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface AdminMetrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status">;
  duration: Histogram<"method" | "route">;
  authFailures: Counter;
}

export function createAdminMetrics(): AdminMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "capgate_admin_requests_total",
      help: "Admin API requests by method, route and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "capgate_admin_request_seconds",
      help: "Admin API request duration",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    authFailures: new Counter({ name: "capgate_admin_auth_failures_total", help: "Failed admin authentications", registers: [registry] }),
  };
}
