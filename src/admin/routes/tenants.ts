// Tenants: the paginated list, one tenant with its capabilities and
// features, and the writes to a tenant's capability values and features.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ChangeContext } from "../principal.js";
import type { AdminEnv } from "../middleware/index.js";
import {
  CapabilityPutBody,
  CapabilityStateSchema,
  errorResponses,
  FeaturePutBody,
  FeatureStateSchema,
  IfMatchHeader,
  jsonAnswer,
  jsonBody,
  PageQuery,
  TenantKeyParams,
  TenantPageSchema,
  TenantParams,
  TenantSchema,
} from "../schemas.js";
import type { AdminService } from "../service.js";

const security = [{ bearer: [] }];

const list = createRoute({
  method: "get",
  path: "/tenants",
  summary: "Tenants, a page at a time",
  security,
  request: { query: PageQuery },
  responses: { 200: jsonAnswer(TenantPageSchema, "a page of tenants and the cursor of the next"), ...errorResponses(403) },
});

const one = createRoute({
  method: "get",
  path: "/tenants/{tenant}",
  summary: "A tenant's capabilities and features (defaults shown as such)",
  security,
  request: { params: TenantParams },
  responses: { 200: jsonAnswer(TenantSchema, "the tenant"), ...errorResponses(403, 404) },
});

const putCapability = createRoute({
  method: "put",
  path: "/tenants/{tenant}/capabilities/{key}",
  summary: "Set a tenant's capability value",
  security,
  request: { params: TenantKeyParams, headers: IfMatchHeader, body: jsonBody(CapabilityPutBody) },
  responses: { 200: jsonAnswer(CapabilityStateSchema, "the new row (source admin)"), ...errorResponses(403, 404, 412, 415) },
});

const deleteCapability = createRoute({
  method: "delete",
  path: "/tenants/{tenant}/capabilities/{key}",
  summary: "Return a tenant's capability to the catalog default",
  security,
  request: { params: TenantKeyParams, headers: IfMatchHeader },
  responses: { 200: jsonAnswer(CapabilityStateSchema, "the catalog default now in force"), ...errorResponses(403, 404, 412) },
});

const putFeature = createRoute({
  method: "put",
  path: "/tenants/{tenant}/features/{key}",
  summary: "Turn a tenant's feature on or off",
  security,
  request: { params: TenantKeyParams, headers: IfMatchHeader, body: jsonBody(FeaturePutBody) },
  responses: { 200: jsonAnswer(FeatureStateSchema, "the new row (source admin)"), ...errorResponses(403, 404, 412, 415) },
});

export function changeContext(c: Context<AdminEnv>): ChangeContext {
  return { principal: c.get("principal"), requestId: c.get("requestId") };
}

export function registerTenantRoutes(api: OpenAPIHono<AdminEnv>, service: AdminService): void {
  api.openapi(list, async (c) => c.json(await service.listTenants(c.get("principal"), c.req.valid("query")), 200));

  api.openapi(one, async (c) => c.json(await service.getTenant(c.get("principal"), c.req.valid("param").tenant), 200));

  api.openapi(putCapability, async (c) => {
    const { tenant, key } = c.req.valid("param");
    const row = await service.putCapability(changeContext(c), tenant, key, c.req.valid("json").value, c.req.valid("header")["if-match"]);
    c.header("etag", row.etag);
    return c.json(row, 200);
  });

  api.openapi(deleteCapability, async (c) => {
    const { tenant, key } = c.req.valid("param");
    const row = await service.deleteCapability(changeContext(c), tenant, key, c.req.valid("header")["if-match"]);
    c.header("etag", row.etag);
    return c.json(row, 200);
  });

  api.openapi(putFeature, async (c) => {
    const { tenant, key } = c.req.valid("param");
    const row = await service.putFeature(changeContext(c), tenant, key, c.req.valid("json").enabled, c.req.valid("header")["if-match"]);
    c.header("etag", row.etag);
    return c.json(row, 200);
  });
}
