// GET /capabilities: the catalog with each capability's value schema.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AdminEnv } from "../middleware/index.js";
import { CatalogSchema, errorResponses, jsonAnswer } from "../schemas.js";
import type { AdminService } from "../service.js";

const catalog = createRoute({
  method: "get",
  path: "/capabilities",
  summary: "The capability catalog",
  security: [{ bearer: [] }],
  responses: { 200: jsonAnswer(CatalogSchema, "every capability, its default and the schema of its value"), ...errorResponses(403) },
});

export function registerCapabilityRoutes(api: OpenAPIHono<AdminEnv>, service: AdminService): void {
  api.openapi(catalog, async (c) => c.json({ items: await service.catalog(c.get("principal")) }, 200));
}
