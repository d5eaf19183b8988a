// Assembles and runs one sidecar: loads the bundle and opens the replica (a
// failure of either is logged and the sidecar serves fail-closed answers until
// a good one appears), reads the JWT keys and TOTP settings, connects to the
// primary when configured, and serves the Hono app on the configured address.
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { basename } from "node:path";
import { createServer } from "node:http";
import { getRequestListener, type ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import pino, { type Logger } from "pino";
import { CapgateError, isCapgateError } from "../errors.js";
import { createApp, answerClientErrors, malformedRequestAnswer, hostCheck } from "./http/index.js";
import { totpDeps } from "../totp/index.js";
import type { ServerConfig } from "./config.js";
import { DECISIONS, Decider, type FactSource, createJwtVerifier, noKeysVerifier, readJwks } from "./decide/index.js";
import { createDecisionLog, type DecisionLog } from "./decision-log.js";
import { bundleLoader, configuredVerifier, Engine, type BundleLoader } from "../policy/runtime/index.js";
import { createMetrics, setPolicyRevision, type ServerMetrics } from "./metrics.js";
import { Reloader, type WatchedFile } from "./reload.js";
import { startBundleService, type BundleService } from "./bundle-service.js";
import { openPrimary, type Primary, type Queryable } from "../primary/index.js";
import { startStatusReporter, VERSION, type StatusReporter } from "./status-reporter.js";
import { startDecisionUpload, teeDecisionLog, type DecisionUploader } from "./decision-upload.js";
import { sidecarHealth } from "./health.js";
import { ServingReplica, type OpenFacts } from "./serving-replica.js";

export interface StartOptions {
  config: ServerConfig;
  /** Epoch milliseconds; tests pass a controllable clock. */
  clock?: () => number;
  logger?: Logger;
  bundleLoader?: BundleLoader;
  /** Opens the replica at a path; defaults to the SQLite replica. */
  openFacts?: OpenFacts;
  /** An already-open primary; otherwise one is opened from config.database_url. */
  primary?: Queryable;
  /** Poll interval of the hot-reload watcher (ms). */
  watchIntervalMs?: number;
  extraRoutes?: (app: Hono) => void;
}

export interface RunningServer {
  url: string;
  decider: Decider;
  port: number;
  engine: Engine;
  metrics: ServerMetrics;
  decisionLog: DecisionLog;
  reloader: Reloader;
  /** The OPA bundle service client, when the bundle comes from one. */
  bundleService: BundleService | null;
  /** The decision-log uploader, when decision_logs is configured. */
  decisionUpload: DecisionUploader | null;
  facts(): FactSource | null;
  /** What SIGHUP asks for: the decision log file reopened, and a changed bundle or replica loaded now. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const clock = opts.clock ?? Date.now;
  // With the decision log on stdout, service logs go to stderr: the decision log
  // writes its batches asynchronously, and a service line written on the same
  // descriptor while a batch is only partly written would land mid-line.
  const log = opts.logger ?? pino({ level: config.log_level, base: { service: "capgate" } }, pino.destination(config.decision_log === "stdout" ? 2 : 1));
  const metrics = createMetrics();
  const localDecisionLog = createDecisionLog(config.decision_log, log, { bufferBytes: config.decision_log_buffer_bytes });
  const decisionUpload =
    config.decision_logs === undefined
      ? null
      : startDecisionUpload({
          settings: config.decision_logs,
          log,
          id: config.status?.id ?? hostname(),
          version: VERSION,
          bundleName: () => config.bundle_service?.resource ?? basename(engine.path ?? "policy"),
          clock,
          policy: () => engine,
        });
  const decisionLog = decisionUpload === null ? localDecisionLog : teeDecisionLog(localDecisionLog, decisionUpload);
  // The bundle verification key is read now too: a bad key file stops start-up.
  // A bundle holding only the AuthZEN entrypoint is served too (its decisions answer no capgate decision).
  const loader = opts.bundleLoader ?? bundleLoader(configuredVerifier(config.bundle_verification));
  const engine = new Engine(loader, DECISIONS.map((d) => d.entrypoint), clock, [config.authzen.entrypoint]);

  // Key material is read now: a bad file stops start-up with a config_error.
  const jwksFile = config.jwt.jwks_file;
  const keySet = jwksFile === undefined ? null : createJwtVerifier(readJwks(jwksFile), config.jwt.algorithms);
  const jwt = keySet ?? noKeysVerifier;
  // Opened here only when not given: a given primary is the caller's to close.
  const owned = opts.primary === undefined ? await openSidecarPrimary(config.database_url, log) : null;
  const primary = opts.primary ?? owned;
  const totp = await totpDeps(config, primary, clock, (fields, message) => log.warn(fields, message));

  const loadPolicy = async (path: string): Promise<void> => {
    try {
      const b = await engine.load(path);
      setPolicyRevision(metrics, b.revision);
      metrics.reloads.inc({ kind: "bundle", outcome: "loaded" });
      log.info({ bundle: path, revision: b.revision }, "policy bundle loaded");
    } catch (e) {
      metrics.reloads.inc({ kind: "bundle", outcome: "refused" });
      throw e;
    }
  };

  const serving = new ServingReplica({
    maxStalenessSeconds: config.max_staleness_seconds,
    clock,
    graceMs: config.decision_deadline_ms + 1000,
    metrics,
    log,
    ...(opts.openFacts === undefined ? {} : { openFacts: opts.openFacts }),
  });
  const facts = (): FactSource | null => serving.facts();
  const refused = (path: string, e: unknown): void => {
    log.error({ file: path, err: isCapgateError(e) ? e.format() : String(e) }, "refused; the last good one (if any) keeps serving, else answers stay fail-closed");
  };

  const watched: WatchedFile[] = [];
  if (config.bundle !== undefined) {
    const path = config.bundle;
    await loadPolicy(path).catch((e) => refused(path, e));
    watched.push({ path, load: () => loadPolicy(path) });
  } else if (config.bundle_service === undefined) log.warn("no policy bundle configured: every decision is denied (policy_not_loaded)");
  const bundleService =
    config.bundle_service === undefined
      ? null
      : await startBundleService({
          settings: config.bundle_service,
          activate: async (path) => {
            await loadPolicy(path);
            return { revision: engine.revision ?? "" };
          },
          log,
          clock,
        });
  if (config.replica !== undefined) {
    const path = config.replica;
    await serving.open(path).catch((e) => refused(path, e));
    watched.push({ path, load: () => serving.open(path) });
  } else log.warn("no replica configured: every decision is denied (replica_missing)");
  // A key rotation: a changed JWKS file replaces the key set, which forgets every token verified
  // with the old one; a bad file is refused and the old keys serve on.
  if (jwksFile !== undefined && keySet !== null) {
    const load = async (): Promise<void> => {
      keySet.setKeys(readJwks(jwksFile));
      log.info({ jwks_file: jwksFile }, "JWT keys reloaded");
    };
    watched.push({ path: jwksFile, load });
  }
  // The NATS client is imported only when the config asks for a relay.
  const startSidecarSync = config.sync === undefined ? null : (await import("../fleet/index.js")).startSidecarSync;
  const reloader = new Reloader(watched, refused);
  // A NATS follower swaps in a new replica on every bootstrap: the watcher must run to pick it up.
  if (config.watch || config.sync !== undefined) reloader.start(opts.watchIntervalMs ?? 1000);
  const fleet =
    config.sync === undefined || startSidecarSync === null
      ? null
      : startSidecarSync({
          sync: config.sync,
          replica: config.replica!,
          registry: await metrics.registry.load(),
          log,
          loadBundle: config.bundle_source === "nats" ? (path) => loadPolicy(path) : undefined,
        });
  const integrityTimer =
    config.replica_integrity_check_seconds === 0 ? null : setInterval(() => facts()?.checkIntegrity(), config.replica_integrity_check_seconds * 1000);
  integrityTimer?.unref();

  const decider = new Decider({
    engine,
    facts,
    jwt,
    metrics,
    decisionLog,
    log,
    deadlineMs: config.decision_deadline_ms,
    clockToleranceSeconds: config.jwt.clock_tolerance_seconds,
  });
  // Started once listening (its default id names the port); /health reads it before that too.
  let status: StatusReporter | null = null;
  const health = sidecarHealth({
    engine,
    bundleName: config.bundle_service?.resource ?? (config.bundle !== undefined ? basename(config.bundle) : config.bundle_source === "nats" ? "nats" : null),
    bundleService,
    upload: decisionUpload,
    status: () => status,
    statusConfigured: config.status !== undefined,
    replica: () => (config.replica === undefined ? null : (facts()?.state().status ?? "missing")),
  });
  // The port is known once listening (0 picks one); the Host check reads it per request.
  let boundPort = config.port;
  const app = createApp({
    decider,
    engine,
    facts,
    totp,
    metrics,
    decisionLog,
    log,
    maxBodyBytes: config.max_body_bytes,
    maxBatch: config.max_batch,
    adminToken: config.admin_token,
    hostCheck: hostCheck({ boundHost: config.host, port: () => boundPort, allowedHosts: config.allowed_hosts, exempt: ["/health"] }),
    extraRoutes: opts.extraRoutes,
    authzen: config.authzen,
    health,
    decisionDeadlineMs: config.decision_deadline_ms,
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    // As @hono/node-server's serve() builds it, plus JSON answers to requests too broken for the app.
    const s = createServer(getRequestListener(app.fetch, { hostname: config.host, errorHandler: malformedRequestAnswer }));
    answerClientErrors(s);
    s.listen(config.port, config.host, () => resolve(s));
    s.once("error", (e: NodeJS.ErrnoException) =>
      reject(new CapgateError("config_error", `cannot listen on ${config.host}:${config.port}: ${e.code ?? e.message}`)),
    );
  });
  const port = (server.address() as AddressInfo).port;
  boundPort = port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  log.info({ host: config.host, port }, "capgate serving");
  status =
    config.status === undefined
      ? null
      : startStatusReporter({
          settings: config.status,
          engine,
          facts,
          metrics,
          log,
          port,
          clock,
          bundleStatus: bundleService === null ? undefined : () => bundleService.status(),
          plugins: () => health.plugins(),
        });

  return {
    url: `http://${host}:${port}`,
    decider,
    port,
    engine,
    metrics,
    decisionLog,
    reloader,
    bundleService,
    decisionUpload,
    facts,
    async reload() {
      // Never rejects: a signal handler has no one to report to but the service log.
      try {
        decisionLog.reopen();
      } catch (e) {
        log.error({ err: (e as Error).message }, "decision log could not be reopened");
      }
      await reloader.check().catch((e: unknown) => log.error({ err: (e as Error).message }, "reload failed"));
      // A bundle service is asked now too (pollNow never rejects: a failure is the client's status).
      await bundleService?.pollNow();
    },
    async close() {
      reloader.stop();
      await bundleService?.close();
      await fleet?.close();
      if (integrityTimer !== null) clearInterval(integrityTimer);
      await status?.close();
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closing;
      serving.close();
      await decisionLog.close();
      await owned?.close();
    },
  };
}

/**
 * The primary TOTP reads and writes, when the config names one. Not reached at
 * open: decisions never need it, so a primary that is down fails TOTP requests,
 * not start-up. Its driver is loaded only here (a plain sidecar never opens one).
 */
async function openSidecarPrimary(databaseUrl: string | undefined, log: Logger): Promise<Primary | null> {
  if (databaseUrl === undefined) return null;
  return openPrimary({
    databaseUrl,
    maxConnections: 4,
    connectAtOpen: false,
    onIdleError: (e) => log.error({ err: e.message }, "primary connection error"),
  });
}
