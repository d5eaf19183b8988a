// Snapshot files: export from the primary, verify, inspect, apply to a replica, keys.
export { exportSnapshot, readSchemaVersion, readWatermark, type ExportOptions } from "./export.js";
export { applySnapshot, type ApplyOptions, type ApplyResult } from "./apply.js";
export { verifySnapshot, inspectSnapshot } from "./verify.js";
export { loadSigningKey, loadVerifyKey, generateSigningKeys, type LoadedKey, type SigningAlg } from "./keys.js";
export type { SnapshotHeader, SnapshotInfo } from "./format.js";
