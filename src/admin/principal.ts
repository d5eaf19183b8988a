// Who is calling the admin API and what that caller may do. Every service
// function checks here, so the HTTP routes and a server-rendered dashboard
// enforce the same rules: operators change every tenant, tenant admins only
// their own, viewers read (their own tenant when bound to one), sidecars only
// report their status.
import { inputError } from "../server/http/http-error.js";

export const ROLES = ["operator", "tenant-admin", "viewer", "sidecar"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The token's name or the OIDC subject: what the audit trail records. */
  actor: string;
  role: Role;
  /** The one tenant a tenant admin (or a bound viewer) may see; null for all. */
  tenantId: string | null;
}

/** What a change is attributed to in the audit trail. */
export interface ChangeContext {
  principal: Principal;
  requestId: string | null;
}

function forbidden(message: string) {
  return inputError("authorization", "forbidden", message);
}

/** May `p` read at all? Every role but `sidecar` may. */
export function assertReader(p: Principal): void {
  if (p.role === "sidecar") throw forbidden("a sidecar token may only report status");
}

/** May `p` read tenant `tenantId`'s data? Throws 403 otherwise. */
export function assertCanRead(p: Principal, tenantId: string): void {
  assertReader(p);
  if (p.tenantId !== null && p.tenantId !== tenantId) throw forbidden(`this token is limited to tenant ${JSON.stringify(p.tenantId)}`);
}

/** May `p` change tenant `tenantId`? Throws 403 otherwise. */
export function assertCanWrite(p: Principal, tenantId: string): void {
  assertCanRead(p, tenantId);
  if (p.role !== "operator" && p.role !== "tenant-admin") throw forbidden(`role ${p.role} may not change anything`);
}

/** May `p` read what spans tenants (rollouts, the unfiltered audit trail)? */
export function assertCanReadAll(p: Principal): void {
  assertReader(p);
  if (p.tenantId !== null) throw forbidden(`this token is limited to tenant ${JSON.stringify(p.tenantId)}`);
}

/** May `p` make changes across tenants (rollouts)? Only an operator. */
export function assertOperator(p: Principal): void {
  if (p.role !== "operator") throw forbidden("only an operator may do this");
}
