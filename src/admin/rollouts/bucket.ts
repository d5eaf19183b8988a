// Which tenants a rollout stage covers. A tenant's bucket is a stable hash of
// its id alone (0..9999), so the same tenants come first in every rollout and
// a stage of a larger percent always contains the smaller stages' tenants.
import { createHash } from "node:crypto";

export function tenantBucket(tenantId: string): number {
  return createHash("sha256").update(tenantId, "utf8").digest().readUInt32BE(0) % 10_000;
}

export interface StagePlan {
  allow: readonly string[];
  deny: readonly string[];
}

/** Is the tenant in a stage of `percent`? Allowed tenants always are, denied ones never. */
export function inStage(tenantId: string, percent: number, plan: StagePlan): boolean {
  return stageMembership(plan)(tenantId, percent);
}

/** inStage for many tenants of one plan: the lists become sets once. */
export function stageMembership(plan: StagePlan): (tenantId: string, percent: number) => boolean {
  const allow = new Set(plan.allow);
  const deny = new Set(plan.deny);
  return (tenantId, percent) => !deny.has(tenantId) && (allow.has(tenantId) || tenantBucket(tenantId) < percent * 100);
}
