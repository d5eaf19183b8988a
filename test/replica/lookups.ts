// Test-only reads of a replica: a tenant's or a user's rows as objects, and the
// staleness of the replica at a path (opened briefly). The sidecar reads facts
// as JSON through the read view (src/replica/read-view.ts); these are what the
// snapshot, sync and fleet tests compare against what they wrote.
import { CapgateError } from "../../src/errors.js";
import { evaluateStaleness, openReplica, type Replica, type ReplicaMeta, type Staleness } from "../../src/replica/index.js";

export interface TenantFacts {
  tenant: { id: string; name: string };
  /** capability key → value and who wrote it. */
  capabilities: Record<string, { value: unknown; source: string }>;
  /** feature key → enabled. */
  features: Record<string, boolean>;
}

export interface UserFacts {
  user: { id: string; tenantId: string; email: string | null; mfaEnabled: boolean };
  /** capability key → enrollment state. */
  capabilities: Record<string, { status: string; data: unknown; source: string }>;
}

type Row = { k: string; a: string; b: string | number | null; c: string | null; d: string | null };

const TENANT_SQL = `
  SELECT 't' AS k, id AS a, name AS b, NULL AS c, NULL AS d FROM tenants WHERE id = @id
  UNION ALL SELECT 'c', capability_key, value, source, NULL FROM tenant_capabilities WHERE tenant_id = @id
  UNION ALL SELECT 'f', feature_key, enabled, source, NULL FROM tenant_features WHERE tenant_id = @id`;

const USER_SQL = `
  SELECT 'u' AS k, tenant_id AS a, email AS b, mfa_enabled AS c, NULL AS d FROM users WHERE id = @id
  UNION ALL SELECT 'c', capability_key, status, data, source FROM user_capability_state WHERE user_id = @id`;

/** A tenant, its capabilities and features, or undefined for an unknown tenant. */
export function tenantFacts(replica: Replica, tenantId: string): TenantFacts | undefined {
  const rows = replica.db.prepare(TENANT_SQL).all({ id: tenantId }) as Row[];
  let tenant: TenantFacts["tenant"] | undefined;
  const capabilities: TenantFacts["capabilities"] = {};
  const features: TenantFacts["features"] = {};
  for (const r of rows) {
    if (r.k === "t") tenant = { id: r.a, name: String(r.b) };
    else if (r.k === "c") capabilities[r.a] = { value: JSON.parse(String(r.b)), source: String(r.c) };
    else features[r.a] = r.b === 1;
  }
  return tenant && { tenant, capabilities, features };
}

/** A user and its capability states, or undefined for an unknown user. */
export function userFacts(replica: Replica, userId: string): UserFacts | undefined {
  const rows = replica.db.prepare(USER_SQL).all({ id: userId }) as Row[];
  let user: UserFacts["user"] | undefined;
  const capabilities: UserFacts["capabilities"] = {};
  for (const r of rows) {
    if (r.k === "u") user = { id: userId, tenantId: r.a, email: r.b === null ? null : String(r.b), mfaEnabled: Number(r.c) === 1 };
    else capabilities[r.a] = { status: String(r.b), data: JSON.parse(String(r.c)), source: String(r.d) };
  }
  return user && { user, capabilities };
}

/** Opens the replica at `path` briefly and says whether it is current, stale or missing. */
export function replicaStatus(path: string, opts: { maxStalenessMs: number; now?: number }): Staleness & { meta?: ReplicaMeta } {
  if (!Number.isFinite(opts.maxStalenessMs) || opts.maxStalenessMs < 0) {
    throw new CapgateError("invalid_input", `maxStalenessMs must be a non-negative number, got ${opts.maxStalenessMs}`);
  }
  let replica;
  try {
    replica = openReplica(path);
  } catch (e) {
    return { status: "missing", age_seconds: null, detail: e instanceof CapgateError ? e.message : String(e) };
  }
  try {
    const meta = replica.meta();
    return { ...evaluateStaleness(meta.confirmedAt, opts), meta };
  } catch (e) {
    return { status: "missing", age_seconds: null, detail: e instanceof CapgateError ? e.message : String(e) };
  } finally {
    replica.close();
  }
}
