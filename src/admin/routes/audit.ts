// GET /audit: the append-only trail of changes, newest first.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AdminEnv } from "../middleware/index.js";
import { AuditPageSchema, AuditQuery, errorResponses, jsonAnswer } from "../schemas.js";
import type { AdminService } from "../service.js";

const list = createRoute({
  method: "get",
  path: "/audit",
  summary: "The audit trail, newest first",
  security: [{ bearer: [] }],
  request: { query: AuditQuery },
  responses: { 200: jsonAnswer(AuditPageSchema, "a page of audit entries"), ...errorResponses(403) },
});

export function registerAuditRoutes(api: OpenAPIHono<AdminEnv>, service: AdminService): void {
  api.openapi(list, async (c) => c.json(await service.listAudit(c.get("principal"), c.req.valid("query")), 200));
}
