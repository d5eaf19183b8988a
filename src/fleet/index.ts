// The fleet on NATS JetStream: names, connections and messages shared by the
// relay (src/relay), the followers that keep replicas from it, policy bundle
// distribution and the operators' status view.
export { fleetNames, changeSubject, subjectToken, tenantOf, DEFAULT_STREAM, SNAPSHOT_OBJECT, BUNDLE_OBJECT, LEASE_KEY, type FleetNames } from "./names.js";
export { connectNats, parseNatsUrl, type NatsConnectOptions } from "./connect.js";
export {
  encodeJson, encodeChange, parseChange, parseHeartbeat, parseSnapshotMeta, parseStatusReport, statusReportSchema,
  type ChangeMessage, type Heartbeat, type SnapshotObjectMeta, type StatusReport,
} from "./messages.js";
export { createRelayMetrics, createFollowerMetrics, serveMetrics, type RelayMetrics, type FollowerMetrics } from "./metrics.js";
export {
  ensureStream, streamInfo, leaseBucket, objectStore, jetstreamManager, DUPLICATE_WINDOW_MS, STREAM_MAX_AGE_MS, LEASE_TTL_MS,
} from "./resources.js";
export { NatsFollower, followNats, type NatsFollowerOptions } from "./follower.js";
export { readPosition, writePosition, type StreamPosition } from "./position.js";
export { startSidecarSync, type SidecarFleet, type SidecarFleetOptions, type SidecarSyncSettings } from "./sidecar.js";
export { publishBundle, watchBundles, type PublishedBundle, type BundleWatchOptions } from "./bundles.js";
export { collectFleetStatus, formatFleetStatus, type FleetStatus } from "./status.js";
