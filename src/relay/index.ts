// The relay: follows one primary's change log and distributes it to a fleet
// over NATS JetStream (changes, snapshots, heartbeat), one leader at a time.
export { runRelay, type RelayOptions } from "./relay.js";
export { ChangePublisher, type PublisherOptions } from "./publisher.js";
export { Lease } from "./lease.js";
