// The admin API's SQL against the primary, one file per resource.
export { readCatalog, featureKeys, CAPABILITY_VALUE_SCHEMAS, type CatalogEntry } from "./catalog.js";
export {
  lockTenant,
  readTenant,
  listTenants,
  readCapabilityRows,
  capabilityState,
  upsertCapability,
  deleteCapability,
  readFeatureRows,
  featureState,
  upsertFeature,
  lockCapability,
  writeCapabilityAudited,
  writeFeatureAudited,
  notFound,
  etagOf,
  type TenantRow,
  type CapabilityState,
  type FeatureState,
  type WriteAudit,
} from "./tenants.js";
export { readUser, resetTotp, type UserView, type UserCapability, type TotpResetResult } from "./users.js";
export { writeAudit, writeAuditMany, readAudit, type AuditEntry, type AuditRecord, type AuditQuery } from "./audit.js";
export {
  hashToken,
  newToken,
  insertToken,
  listTokens,
  readToken,
  findLiveToken,
  markRevoked,
  TOKEN_PREFIX,
  type TokenRecord,
} from "./tokens.js";
export {
  insertRollout,
  readRollout,
  readRolloutRows,
  setRolloutState,
  allTenantIds,
  lockTenants,
  applyStage,
  rollBack,
  rolloutStoredValue,
  type RolloutRecord,
  type RolloutRow,
  type RolloutTargetKind,
  type RollbackOutcome,
} from "./rollouts.js";
export { isoSql } from "./time.js";
