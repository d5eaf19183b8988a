// The admin API (`capgate admin serve`): a Hono server on the primary that
// writes the capability tables, with tokens, roles, an audit trail and staged
// rollouts. The rest of capgate, and the dashboard, import from here.
export { createAdminApp, API_BASE, type AdminAppDeps, type AdminMountKit } from "./app.js";
export { createAuthenticator, type Authenticate, type OidcSettings } from "./auth.js";
export { loadAdminConfig, type AdminConfig } from "./config.js";
export { createAdminMetrics, type AdminMetrics } from "./metrics.js";
export { authenticate as authenticateMiddleware, failureLimiter, requestId, type AdminEnv, type FailureLimiter } from "./middleware/index.js";
export {
  assertCanRead,
  assertCanReadAll,
  assertCanWrite,
  assertOperator,
  assertReader,
  ROLES,
  type ChangeContext,
  type Principal,
  type Role,
} from "./principal.js";
export { tenantBucket, inStage, stageMembership } from "./rollouts/index.js";
export {
  createAdminService,
  checkIfMatch,
  checkValue,
  cliActor,
  type AdminService,
  type CatalogView,
  type Page,
  type RollbackResult,
  type RolloutSpec,
  type RolloutView,
  type TenantView,
} from "./service.js";
export { startAdminServer, type RunningAdminServer, type StartAdminOptions } from "./server.js";
export { createAdminToken, listAdminTokens, revokeAdminToken, type CreatedToken } from "./tokens.js";
export { writeAudit, type AuditEntry, type AuditRecord, type TokenRecord } from "./store/index.js";
