// The FactSource over the SQLite replica (src/replica): one indexed lookup per
// tenant and per user, the catalog defaults read once per opened replica, and
// the replica's staleness on every decision (one primary-key read). The
// replica's rows are reshaped into the policy input's fact shapes here, and
// nothing else: no rule about what a value means.
import { performance } from "node:perf_hooks";
import { openReplica, type Replica } from "../replica/index.js";
import type { FactSource, ReplicaState, TenantFacts, UserFacts } from "./facts.js";

const STATE_REFRESH_MS = 100;

export function openReplicaFacts(path: string, maxStalenessSeconds: number, clock: () => number): FactSource {
  const replica: Replica = openReplica(path);
  try {
    return replicaFacts(replica, maxStalenessSeconds, clock);
  } catch (e) {
    replica.close();
    throw e;
  }
}

export function replicaFacts(replica: Replica, maxStalenessSeconds: number, clock: () => number): FactSource {
  const meta = replica.meta();
  const defaults: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(replica.catalog())) defaults[key] = row.defaultValue;
  const watermark = replica.db.prepare("SELECT value FROM replica_meta WHERE key = 'watermark'").pluck();
  const versionNow = (): string => {
    const wm = watermark.get() as string | undefined;
    return wm === undefined || wm === "" ? meta.snapshotId : `${meta.snapshotId}@${wm}`;
  };
  const computeState = (): ReplicaState => {
    const s = replica.status({ maxStalenessMs: maxStalenessSeconds * 1000, now: clock() });
    // The version a decision was answered from: the snapshot, and the change-feed
    // watermark a follower advances in place (read anew so it stays true).
    const version = s.state === "missing" ? null : versionNow();
    const age = s.ageMs === undefined ? null : s.ageMs / 1000;
    return { status: s.state, version, age_seconds: age, ...(s.reason === undefined ? {} : { detail: s.reason }) };
  };
  let closed = false;
  // The state costs two reads; it is recomputed at most every STATE_REFRESH_MS of
  // real time, far below any maximum staleness and the follower's 1 s target.
  let cached: ReplicaState | null = null;
  let cachedAt = 0;
  return {
    state(): ReplicaState {
      if (closed) return { status: "missing", version: null, age_seconds: null, detail: "replica closed" };
      const t = performance.now();
      if (cached !== null && t - cachedAt < STATE_REFRESH_MS) return cached;
      cached = computeState();
      cachedAt = t;
      return cached;
    },
    tenant(id: string): TenantFacts | null {
      const t = replica.tenantFacts(id);
      if (t === undefined) return null;
      const capabilities: Record<string, unknown> = {};
      for (const [key, c] of Object.entries(t.capabilities)) capabilities[key] = c.value;
      return { id: t.tenant.id, capabilities, features: t.features };
    },
    user(id: string): UserFacts | null {
      const u = replica.userFacts(id);
      if (u === undefined) return null;
      const capabilities: UserFacts["capabilities"] = {};
      for (const [key, c] of Object.entries(u.capabilities)) capabilities[key] = { status: c.status, source: c.source, data: c.data };
      return { id: u.user.id, tenant_id: u.user.tenantId, capabilities };
    },
    defaults: () => defaults,
    close() {
      if (closed) return;
      closed = true;
      replica.close();
    },
  };
}
