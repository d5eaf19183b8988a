// The OpenID AuthZEN Authorization API 1.0 on the sidecar: POST
// /access/v1/evaluation and /access/v1/evaluations, the search APIs when the
// policy offers them, and GET /.well-known/authzen-configuration naming what is
// served. A deny is a 200 with `decision: false`; only a malformed request is
// an HTTP error (400 naming the field, in capgate's one error shape). The
// caller's X-Request-ID comes back on every answer, errors included.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { DecisionLog } from "../decision-log.js";
import type { Engine } from "../../policy/runtime/index.js";
import type { FactSource } from "../decide/index.js";
import { inputError } from "../http/http-error.js";
import type { ServerMetrics } from "../metrics.js";
import { turnBatched } from "../http/turn-batch.js";
import { AuthZenEvaluator, type AuthZenDecision } from "./evaluate.js";
import { parseEvaluation, parseEvaluations, parseSearch, SEARCH_KINDS, type Evaluation } from "./request.js";
import { offeredSearches, search, searchEntrypoint } from "./search.js";

export interface AuthZenSettings {
  /** The entrypoint answering one evaluation. */
  entrypoint: string;
  /** The entrypoint answering `{evaluations: [...]}` with an array, used for execute_all batches when the bundle has it. */
  batch_entrypoint: string;
  /** The PDP identifier advertised in the metadata; the request's own origin when absent. */
  policy_decision_point?: string | undefined;
  search_page_size: number;
  /** "replica": each input also holds the subject's facts from the replica (`facts: {tenant, user, defaults}`). */
  facts: "none" | "replica";
}

export interface AuthZenDeps {
  engine: Engine;
  replica: () => FactSource | null;
  decisionLog: DecisionLog;
  metrics: ServerMetrics;
  settings: AuthZenSettings;
  deadlineMs: number;
  maxEvaluations: number;
  /** The app's body-size limit and JSON reader, shared with its other routes. */
  limit: MiddlewareHandler;
  readJson: (c: Context) => Promise<unknown>;
}

const EVALUATION = "/access/v1/evaluation";
const EVALUATIONS = "/access/v1/evaluations";
const SEARCH = "/access/v1/search";
const JSON_TYPE = { "content-type": "application/json" } as const;

export function mountAuthZen(app: Hono, deps: AuthZenDeps): void {
  const { engine, settings } = deps;
  const evaluator = new AuthZenEvaluator(engine, {
    entrypoint: settings.entrypoint,
    batchEntrypoint: settings.batch_entrypoint,
    deadlineMs: deps.deadlineMs,
    replica: settings.facts === "replica" ? deps.replica : undefined,
  });
  const evaluateOne = turnBatched(async (e: Evaluation) => evaluator.decideOne(e));
  const record = recorder(deps);

  app.use("/access/v1/*", echoRequestId);
  app.use("/.well-known/authzen-configuration", echoRequestId);

  app.post(EVALUATION, deps.limit, async (c) => {
    const started = performance.now();
    const body = await deps.readJson(c);
    const answer = await evaluateOne(parseEvaluation(body));
    record("authzen.evaluation", body, [answer], answer, started);
    return c.body(JSON.stringify(answer), 200, JSON_TYPE);
  });

  app.post(EVALUATIONS, deps.limit, async (c) => {
    const started = performance.now();
    const body = await deps.readJson(c);
    const req = parseEvaluations(body, deps.maxEvaluations);
    if (req.kind === "single") {
      const answer = await evaluateOne(req.evaluation);
      record("authzen.evaluations", body, [answer], answer, started);
      return c.body(JSON.stringify(answer), 200, JSON_TYPE);
    }
    const answer = { evaluations: evaluator.evaluateAll(req.items, req.semantic) };
    record("authzen.evaluations", body, answer.evaluations, answer, started);
    return c.body(JSON.stringify(answer), 200, JSON_TYPE);
  });

  for (const kind of SEARCH_KINDS) {
    const entrypoint = searchEntrypoint(settings.entrypoint, kind);
    app.post(`${SEARCH}/${kind}`, deps.limit, async (c) => {
      if (!engine.entrypoints.includes(entrypoint))
        throw inputError("path", "unknown_route", `no decision at ${JSON.stringify(c.req.path)} (the policy offers no ${kind} search)`);
      const page = search(engine, entrypoint, parseSearch(kind, await deps.readJson(c)), settings.search_page_size, deps.deadlineMs);
      return c.body(JSON.stringify(page), 200, JSON_TYPE);
    });
  }

  app.get("/.well-known/authzen-configuration", (c) => {
    const pdp = settings.policy_decision_point ?? new URL(c.req.url).origin;
    const doc: Record<string, string> = {
      policy_decision_point: pdp,
      access_evaluation_endpoint: pdp + EVALUATION,
      access_evaluations_endpoint: pdp + EVALUATIONS,
    };
    for (const kind of offeredSearches(engine, settings.entrypoint)) doc[`search_${kind}_endpoint`] = `${pdp}${SEARCH}/${kind}`;
    return c.json(doc);
  });
}

/** A printable identifier of reasonable length; anything else is not repeated into a header. */
const REQUEST_ID = /^[\x20-\x7e]{1,256}$/;

const echoRequestId: MiddlewareHandler = async (c, next) => {
  const id = c.req.header("x-request-id");
  // Set before the route runs, so an error answer made by onError carries it too.
  if (id !== undefined && REQUEST_ID.test(id)) c.header("x-request-id", id);
  await next();
};

/** Counts and logs one request's evaluations: one decision-log line per request. */
function recorder(deps: AuthZenDeps) {
  return (name: string, body: unknown, answers: readonly AuthZenDecision[], result: unknown, started: number): void => {
    const ms = performance.now() - started;
    for (const a of answers) deps.metrics.decisions.inc({ decision: name, outcome: a.decision ? "allow" : "deny" });
    deps.metrics.latency.observe({ decision: name }, ms / 1000);
    deps.decisionLog.write({
      decision_id: randomUUID(),
      decision: name,
      input: body,
      result,
      policy_revision: deps.engine.revision,
      replica_version: null,
      latency_ms: ms,
    });
  };
}

/** The settings when the config names none (the config's own defaults). */
export const AUTHZEN_DEFAULTS: AuthZenSettings = {
  entrypoint: "authzen/decision",
  batch_entrypoint: "authzen/evaluations",
  search_page_size: 50,
  facts: "none",
};
