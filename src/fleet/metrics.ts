// Prometheus metrics of the relay and of NATS followers. Each gets its own
// registry unless given one (a sidecar passes its server's registry, so
// /metrics shows both), because one process may hold many followers (bench).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry } from "prom-client";
import { CapgateError } from "../errors.js";

export interface RelayMetrics {
  registry: Registry;
  publishedSeq: Gauge;
  published: Counter;
  leader: Gauge;
  snapshots: Counter;
}

export interface FollowerMetrics {
  registry: Registry;
  appliedSeq: Gauge;
  lagSeconds: Gauge;
  bootstraps: Counter;
  gaps: Counter;
}

export function createRelayMetrics(registry: Registry = new Registry()): RelayMetrics {
  return {
    registry,
    publishedSeq: new Gauge({ name: "capgate_relay_published_seq", help: "Stream sequence of the last change this relay published", registers: [registry] }),
    published: new Counter({ name: "capgate_relay_published_total", help: "Changes published by this relay", registers: [registry] }),
    leader: new Gauge({ name: "capgate_relay_leader", help: "1 while this relay holds the lease and publishes", registers: [registry] }),
    snapshots: new Counter({ name: "capgate_relay_snapshots_total", help: "Snapshots published to the object store", registers: [registry] }),
  };
}

export function createFollowerMetrics(registry: Registry = new Registry()): FollowerMetrics {
  return {
    registry,
    appliedSeq: new Gauge({ name: "capgate_fleet_applied_seq", help: "Stream sequence of the last change applied to the replica", registers: [registry] }),
    lagSeconds: new Gauge({
      name: "capgate_fleet_lag_seconds",
      help: "Seconds since the relay heartbeat the replica is confirmed current against",
      registers: [registry],
    }),
    bootstraps: new Counter({ name: "capgate_fleet_bootstraps_total", help: "Replicas rebuilt from a snapshot in the object store", registers: [registry] }),
    gaps: new Counter({ name: "capgate_fleet_gaps_total", help: "Gaps found in the change stream (each leads to a bootstrap)", registers: [registry] }),
  };
}

/** Serves `registry` at http://host:port/metrics (relay and `sync --follow --nats`; a sidecar has its own /metrics). */
export async function serveMetrics(registry: Registry, port: number, host = "127.0.0.1"): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new CapgateError("config_error", `cannot listen on ${host}:${port} for metrics: ${e.code ?? e.message}`)));
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
