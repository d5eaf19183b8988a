// The SQLite replica: schema, opening, lookups, metadata and staleness.
export { TABLES, TABLES_BY_NAME, type TableSpec, type ColumnSpec } from "./tables.js";
export { REPLICA_FORMAT, SUPPORTED_SCHEMA_VERSIONS, isSupportedSchemaVersion } from "./schema.js";
export { openReplica, Replica, corruptReplicaError, isCorruptReplica, type TenantFacts, type UserFacts } from "./open.js";
export { isCorruption, quickCheck, reportDamage, reportedDamage } from "./integrity.js";
export { preparePolicyFacts, type PolicyFactQueries } from "./policy-facts.js";
export { replicaStatus, evaluateStaleness, type ReplicaStatus, type ReplicaState } from "./status.js";
export type { ReplicaMeta } from "./meta.js";
export { currentGeneration } from "./files.js";
