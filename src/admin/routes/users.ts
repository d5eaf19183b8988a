// A user's capability states (never a secret) and an administrator's MFA reset.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AdminEnv } from "../middleware/index.js";
import { errorResponses, jsonAnswer, TenantUserParams, TotpResetSchema, UserSchema } from "../schemas.js";
import type { AdminService } from "../service.js";
import { changeContext } from "./tenants.js";

const security = [{ bearer: [] }];

const getUser = createRoute({
  method: "get",
  path: "/tenants/{tenant}/users/{user}",
  summary: "A user's capability states",
  security,
  request: { params: TenantUserParams },
  responses: { 200: jsonAnswer(UserSchema, "the user, secrets removed"), ...errorResponses(403, 404) },
});

const resetTotp = createRoute({
  method: "delete",
  path: "/tenants/{tenant}/users/{user}/totp",
  summary: "Reset the user's TOTP (an administrator's MFA reset)",
  security,
  request: { params: TenantUserParams },
  responses: { 200: jsonAnswer(TotpResetSchema, "what the reset removed"), ...errorResponses(403, 404) },
});

export function registerUserRoutes(api: OpenAPIHono<AdminEnv>, service: AdminService): void {
  api.openapi(getUser, async (c) => {
    const { tenant, user } = c.req.valid("param");
    return c.json(await service.getUser(c.get("principal"), tenant, user), 200);
  });
  api.openapi(resetTotp, async (c) => {
    const { tenant, user } = c.req.valid("param");
    return c.json(await service.resetUserTotp(changeContext(c), tenant, user), 200);
  });
}
