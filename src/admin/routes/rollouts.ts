// Staged rollouts: create, advance a stage, roll back, read.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { inputError } from "../../server/http/http-error.js";
import type { AdminEnv } from "../middleware/index.js";
import { errorResponses, jsonAnswer, jsonBody, RollbackSchema, RolloutCreateBody, RolloutParams, RolloutSchema } from "../schemas.js";
import type { AdminService } from "../service.js";
import { changeContext } from "./tenants.js";

const security = [{ bearer: [] }];

const create = createRoute({
  method: "post",
  path: "/rollouts",
  summary: "Create a staged rollout of a capability value or feature state (nothing applied yet)",
  security,
  request: { body: jsonBody(RolloutCreateBody) },
  responses: { 201: jsonAnswer(RolloutSchema, "the rollout and the tenants of each stage"), ...errorResponses(403, 404, 415) },
});

const advance = createRoute({
  method: "post",
  path: "/rollouts/{id}/advance",
  summary: "Apply the next stage",
  security,
  request: { params: RolloutParams },
  responses: { 200: jsonAnswer(RolloutSchema, "the rollout after the step"), ...errorResponses(403, 404, 409) },
});

const rollback = createRoute({
  method: "post",
  path: "/rollouts/{id}/rollback",
  summary: "Restore every row the rollout wrote that nobody changed since; list the others",
  security,
  request: { params: RolloutParams },
  responses: { 200: jsonAnswer(RollbackSchema, "what was restored and what was kept"), ...errorResponses(403, 404, 409) },
});

const read = createRoute({
  method: "get",
  path: "/rollouts/{id}",
  summary: "A rollout with the tenants per stage",
  security,
  request: { params: RolloutParams },
  responses: { 200: jsonAnswer(RolloutSchema, "the rollout"), ...errorResponses(403, 404) },
});

/** A step takes no body; anything but nothing or {} is refused, as every body is strict. */
async function noBody(c: Context): Promise<void> {
  const text = (await c.req.text()).trim();
  if (text === "") return;
  const v = JSON.parse(text) as unknown;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw inputError("body", "wrong_type", "must be empty or {}");
  const unknown = Object.keys(v)[0];
  if (unknown !== undefined) throw inputError(unknown, "unknown_field", "is not a known field");
}

export function registerRolloutRoutes(api: OpenAPIHono<AdminEnv>, service: AdminService): void {
  api.openapi(create, async (c) => c.json(await service.createRollout(changeContext(c), c.req.valid("json")), 201));
  api.openapi(advance, async (c) => {
    await noBody(c);
    return c.json(await service.advanceRollout(changeContext(c), c.req.valid("param").id), 200);
  });
  api.openapi(rollback, async (c) => {
    await noBody(c);
    return c.json(await service.rollbackRollout(changeContext(c), c.req.valid("param").id), 200);
  });
  api.openapi(read, async (c) => c.json(await service.getRollout(c.get("principal"), c.req.valid("param").id), 200));
}
