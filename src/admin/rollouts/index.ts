// Staged rollouts: which tenants a stage covers. The steps themselves
// (create, advance, rollback) are service functions in ../service.ts, each one
// transaction; their SQL is in ../store/rollouts.ts.
export { tenantBucket, inStage, stageMembership, type StagePlan } from "./bucket.js";
