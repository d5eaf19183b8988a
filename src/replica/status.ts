// Staleness: whether the replica can vouch for its data, in the one vocabulary
// every reader uses (decisions, /ready, /metrics, status reports): a
// ReplicaState whose `status` is current, stale, missing or corrupt. The
// sidecar answers only from a "current" replica; the others make it fail closed.

/** What a replica says of itself, as /ready shows it under `replica`. */
export interface ReplicaState {
  /** "corrupt": the file is damaged and is never read again; a fresh snapshot must replace it. */
  status: "current" | "stale" | "missing" | "corrupt";
  /** The replica's data version (snapshot id, and the change-feed watermark a follower advances); null when missing. */
  version: string | null;
  /** Seconds since the replica last confirmed it was current; null when unknown. */
  age_seconds: number | null;
  /** One line saying why the status is not "current" (absent when current). */
  detail?: string;
}

/** The staleness part of a ReplicaState: everything but the version. */
export type Staleness = Omit<ReplicaState, "version">;

export function evaluateStaleness(confirmedAt: string | undefined, opts: { maxStalenessMs: number; now?: number }): Staleness {
  if (confirmedAt === undefined) return { status: "missing", age_seconds: null, detail: "replica has no confirmed-current time" };
  const at = Date.parse(confirmedAt);
  if (Number.isNaN(at)) return { status: "missing", age_seconds: null, detail: `replica confirmed-current time is not a time: ${confirmedAt}` };
  const ageMs = Math.max(0, (opts.now ?? Date.now()) - at);
  if (ageMs > opts.maxStalenessMs) {
    return { status: "stale", age_seconds: ageMs / 1000, detail: `replica last confirmed current ${ageMs} ms ago (maximum ${opts.maxStalenessMs} ms)` };
  }
  return { status: "current", age_seconds: ageMs / 1000 };
}
