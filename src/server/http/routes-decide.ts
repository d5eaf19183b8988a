// POST /decide (one decision, or a batch) and OPA's POST /v1/data/{entrypoint}:
// the body is parsed and validated here, then the Decider answers. Single
// requests that arrive together are decided in one turn (turn-batch.ts).
import type { Hono, MiddlewareHandler } from "hono";
import { decisionByEntrypoint, parseDecisionRequest, parseInput, type DecisionRequest } from "../decide/index.js";
import type { AppDeps } from "./app.js";
import { inputError } from "./http-error.js";
import { isObject, readJson } from "./read-json.js";
import { turnBatched } from "./turn-batch.js";

/** The header of an answer serialised by the Decider (what c.json would set). */
const JSON_TYPE = { "content-type": "application/json" } as const;

export function decisionRoutes(app: Hono, deps: Pick<AppDeps, "decider" | "maxBatch">, limit: MiddlewareHandler): void {
  const decide = turnBatched((req: DecisionRequest) => deps.decider.decideWithJson(req));

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
}
