// The sidecar's HTTP surface (Hono): /decide (single and batch), OPA's
// /v1/data/{path}, /mfa/totp/verify and /mfa/totp/enroll[/confirm], /health,
// /ready and /metrics. Routes parse and validate, then hand over to the
// Decider or the TOTP verifier; every error is thrown as CapgateError and
// turned into the one JSON error shape by onError.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { isCapgateError } from "../../errors.js";
import { type Decider, decisionByEntrypoint, parseDecisionRequest, parseInput, type DecisionRequest, type FactSource } from "../decide/index.js";
import type { DecisionLog } from "../decision-log.js";
import type { Engine } from "../../policy/runtime/index.js";
import { adminAuth } from "./admin-auth.js";
import { declaredBodyLimit } from "./body-limit.js";
import { inputError, toHttpError } from "./http-error.js";
import { notFoundOrWrongMethod } from "./method-check.js";
import type { ServerMetrics } from "../metrics.js";
import { turnBatched } from "./turn-batch.js";
import { parseTotpInput, verifyTotp, type TotpDeps, confirmEnrollment, startEnrollment } from "../../totp/index.js";
import { AUTHZEN_DEFAULTS, mountAuthZen, type AuthZenSettings } from "../authzen/index.js";
import { checkHealth, type HealthSource } from "../health.js";

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

/** The header of an answer serialised by the Decider (what c.json would set). */
const JSON_TYPE = { "content-type": "application/json" } as const;

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

  const decide = turnBatched((req: DecisionRequest) => deps.decider.decideWithJson(req));

  const limit = declaredBodyLimit(deps.maxBodyBytes);

  app.post("/decide", limit, async (c) => {
    const body = await readJson(c);
    if (isObject(body) && "batch" in body) {
      const { batch, ...extra } = body;
      const unknown = Object.keys(extra)[0];
      if (unknown !== undefined) throw inputError(unknown, "unknown_field", "is not a known field (a batch body holds only \"batch\")");
      if (!Array.isArray(batch)) throw inputError("batch", "wrong_type", "must be an array");
      if (batch.length === 0) throw inputError("batch", "too_small", "must hold at least one decision");
      if (batch.length > deps.maxBatch) throw inputError("batch", "too_big", `must hold at most ${deps.maxBatch} decisions`);
      // All items are validated before any is answered: a bad item rejects the batch.
      const requests = batch.map((item, i) => parseDecisionRequest(item, `batch[${i}]`));
      // Started together, so the token signatures of several token.validate items are checked concurrently.
      const answers = await Promise.all(requests.map((r) => deps.decider.decideWithJson(r)));
      return c.body(`{"batch":[${answers.map((a) => a.json).join(",")}]}`, 200, JSON_TYPE);
    }
    return c.body((await decide(parseDecisionRequest(body))).json, 200, JSON_TYPE);
  });

  app.post("/v1/data/*", limit, async (c) => {
    const path = c.req.path.slice("/v1/data/".length);
    const spec = decisionByEntrypoint(path);
    // Quoted: the path is the caller's, decoded, and may hold a line break.
    if (spec === undefined) throw inputError("path", "unknown_route", `no decision at ${JSON.stringify(`/v1/data/${path}`)}`);
    const body = await readJson(c);
    if (!isObject(body)) throw inputError("body", "wrong_type", "must be a JSON object {\"input\": ...}");
    const unknown = Object.keys(body).find((k) => k !== "input");
    if (unknown !== undefined) throw inputError(unknown, "unknown_field", "is not a known field");
    const req: DecisionRequest = { spec, input: parseInput(spec, body["input"], "input") };
    const { answer, json } = await decide(req);
    return c.body(`{"decision_id":${JSON.stringify(answer.decision_id)},"result":${json}}`, 200, JSON_TYPE);
  });

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

  app.post("/mfa/totp/verify", limit, async (c) => {
    const started = performance.now();
    const input = parseTotpInput(await readJson(c), deps.totp.settings.digits);
    let outcome;
    try {
      outcome = await verifyTotp(deps.totp, input);
    } catch (e) {
      deps.metrics.totp.inc({ outcome: isCapgateError(e) ? e.code : "error" });
      throw e;
    }
    deps.metrics.totp.inc({ outcome: outcome.verified ? "verified" : outcome.reason });
    const answer = { decision_id: randomUUID(), ...outcome };
    deps.decisionLog.write({
      decision_id: answer.decision_id,
      decision: "mfa.totp.verify",
      input,
      result: answer,
      policy_revision: deps.engine.revision,
      replica_version: null,
      latency_ms: performance.now() - started,
    });
    return c.json(answer);
  });

  app.post("/mfa/totp/enroll", limit, async (c) => {
    const started = await startEnrollment(deps.totp, await readJson(c));
    // The answer holds the new secret: no cache may keep it.
    c.header("cache-control", "no-store");
    return c.json(started);
  });

  app.post("/mfa/totp/enroll/confirm", limit, async (c) => c.json(await confirmEnrollment(deps.totp, await readJson(c))));

  deps.extraRoutes?.(app);

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

  return app;
}

/** The request body as JSON, refusing a non-JSON content type and malformed text. */
async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw inputError("content-type", "unsupported_content_type", `must be application/json (got ${type === "" ? "none" : JSON.stringify(type)})`);
  const text = await c.req.text();
  if (text.trim() === "") throw inputError("body", "missing", "is empty; a JSON object is required");
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the fault, which may hold a line break: escaped, the error stays one line.
    const reason = (e as Error).message.replace(/[\u0000-\u001f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
    throw inputError("body", "malformed_json", `is not valid JSON (${reason})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

