// Staleness: whether the replica can vouch for its data. The sidecar answers
// only from a "current" replica; "stale" and "missing" make it fail closed.
import { CapgateError } from "../errors.js";
import { openReplica } from "./open.js";
import type { ReplicaMeta } from "./meta.js";

export type ReplicaState = "current" | "stale" | "missing";

export interface ReplicaStatus {
  state: ReplicaState;
  /** One line saying why the state is not "current" (absent when current). */
  reason?: string;
  /** When the replica was last confirmed current, and how long ago (ms). */
  confirmedAt?: string;
  ageMs?: number;
  meta?: ReplicaMeta;
}

export function evaluateStaleness(confirmedAt: string | undefined, opts: { maxStalenessMs: number; now?: number }): ReplicaStatus {
  if (confirmedAt === undefined) return { state: "missing", reason: "replica has no confirmed-current time" };
  const at = Date.parse(confirmedAt);
  if (Number.isNaN(at)) return { state: "missing", reason: `replica confirmed-current time is not a time: ${confirmedAt}` };
  const ageMs = Math.max(0, (opts.now ?? Date.now()) - at);
  if (ageMs > opts.maxStalenessMs) {
    return { state: "stale", reason: `replica last confirmed current ${ageMs} ms ago (maximum ${opts.maxStalenessMs} ms)`, confirmedAt, ageMs };
  }
  return { state: "current", confirmedAt, ageMs };
}

/** Opens the replica at `path` briefly and says whether it is current, stale or missing. */
export function replicaStatus(path: string, opts: { maxStalenessMs: number; now?: number }): ReplicaStatus {
  if (!Number.isFinite(opts.maxStalenessMs) || opts.maxStalenessMs < 0) {
    throw new CapgateError("invalid_input", `maxStalenessMs must be a non-negative number, got ${opts.maxStalenessMs}`);
  }
  let replica;
  try {
    replica = openReplica(path);
  } catch (e) {
    return { state: "missing", reason: e instanceof CapgateError ? e.message : String(e) };
  }
  try {
    const meta = replica.meta();
    return { ...evaluateStaleness(meta.confirmedAt, opts), meta };
  } catch (e) {
    return { state: "missing", reason: e instanceof CapgateError ? e.message : String(e) };
  } finally {
    replica.close();
  }
}
