// The SQLite replica: schema, opening, metadata, staleness, and the read view
// decisions read facts through.
export { TABLES, TABLES_BY_NAME, type TableSpec, type ColumnSpec } from "./tables.js";
export { REPLICA_FORMAT, SUPPORTED_SCHEMA_VERSIONS, isSupportedSchemaVersion } from "./schema.js";
export { openReplica, Replica, corruptReplicaError, isCorruptReplica } from "./open.js";
export { isCorruption, quickCheck, reportDamage, reportedDamage } from "./integrity.js";
export { preparePolicyFacts, type PolicyFactQueries } from "./policy-facts.js";
export { evaluateStaleness, type ReplicaState, type Staleness } from "./status.js";
export { openReadView, VIEW_MS, type ReadView, type ReadViewOptions } from "./read-view.js";
export type { ReplicaMeta } from "./meta.js";
export { currentGeneration } from "./files.js";
