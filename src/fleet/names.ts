// The names one fleet uses in NATS, all derived from the stream name the relay
// and its followers share (--stream, default CAPGATE): the change stream and
// its subjects, the heartbeat, status and snapshot-request subjects, and the
// buckets for the relay lease, snapshots and policy bundles.
import { CapgateError } from "../errors.js";

export const DEFAULT_STREAM = "CAPGATE";

export interface FleetNames {
  stream: string;
  /** Every change subject: `<stream>.changes.>`. */
  changes: string;
  heartbeat: string;
  /** Followers report here every few seconds. */
  status: string;
  /** `fleet status` asks here; followers answer to the reply subject. */
  statusPing: string;
  /** A request here asks the leading relay for a fresh snapshot now. */
  snapshotRequest: string;
  leaseBucket: string;
  snapshotBucket: string;
  bundleBucket: string;
}

export const SNAPSHOT_OBJECT = "snapshot";
export const BUNDLE_OBJECT = "bundle";
export const LEASE_KEY = "leader";

export function fleetNames(stream: string = DEFAULT_STREAM): FleetNames {
  // Stream and bucket names become subject tokens: no dots, wildcards or spaces.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) {
    throw new CapgateError("invalid_input", `--stream ${JSON.stringify(stream)} must be 1-64 letters, digits, '_' or '-'`);
  }
  return {
    stream,
    changes: `${stream}.changes.>`,
    heartbeat: `${stream}.heartbeat`,
    status: `${stream}.status`,
    statusPing: `${stream}.status.ping`,
    snapshotRequest: `${stream}.relay.snapshot`,
    leaseBucket: `${stream}_relay`,
    snapshotBucket: `${stream}_snapshots`,
    bundleBucket: `${stream}_bundles`,
  };
}

/** A subject token for any text: characters NATS reserves become %XX. */
export function subjectToken(text: string): string {
  if (text === "") return "_";
  return text.replace(/[^A-Za-z0-9_-]/g, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join(""));
}

/** Which tenant a change row belongs to, for its subject ("_" for catalog and per-user rows). */
export function tenantOf(table: string, row: Record<string, unknown>): string {
  const v = table === "tenants" ? row["id"] : row["tenant_id"];
  return typeof v === "string" ? v : "";
}

export function changeSubject(names: FleetNames, table: string, row: Record<string, unknown>): string {
  return `${names.stream}.changes.${subjectToken(table)}.${subjectToken(tenantOf(table, row))}`;
}
