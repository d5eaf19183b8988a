// The change feed: one sync pass, follow mode, and pruning the primary's log.
export { syncOnce, ReplicaWriter, type SyncResult, type SyncOptions } from "./sync-once.js";
export { follow, followPrimary, sleep, CHANGE_CHANNEL, type FollowOptions, type FollowPrimaryOptions, type PrimaryWatchOptions } from "./follow.js";
export { pruneChangeLog, parseDuration } from "./prune.js";
