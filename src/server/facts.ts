// Gathers the facts a decision needs from the replica and builds the policy
// input the Rego in policies/capgate/ reads:
//   {request, tenant: {id, capabilities, features} | null,
//    user: {id, tenant_id, capabilities: {key: {status, ...}}} | null,
//    defaults: {key: default_value}, token?, config?}
// Facts are passed as stored; what they mean is decided by the policy.

export interface TenantFacts {
  id: string;
  capabilities: Record<string, unknown>;
  features: Record<string, boolean>;
}

export interface UserFacts {
  id: string;
  tenant_id: string;
  capabilities: Record<string, { status: string } & Record<string, unknown>>;
}

export type ReplicaHealth = "current" | "stale" | "missing";

export interface ReplicaState {
  status: ReplicaHealth;
  /** The replica's data version (change-feed watermark or snapshot id); null when missing. */
  version: string | null;
  /** Seconds since the replica last confirmed it was current; null when unknown. */
  age_seconds: number | null;
  detail?: string;
}

/** One indexed lookup per tenant and per user; the catalog defaults are cached by the source. */
export interface FactSource {
  state(): ReplicaState;
  tenant(id: string): TenantFacts | null;
  user(id: string): UserFacts | null;
  defaults(): Record<string, unknown>;
  close(): void;
}

/** The result of checking a token's signature (src/server/jwt.ts). */
export interface TokenFacts {
  verified: boolean;
  error?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** Data keys that must never reach a policy input or a log line. */
const SECRET_KEYS = new Set(["secret", "secret_jwe", "mfa_secret", "totp_secret"]);

export function withoutSecrets(user: UserFacts): UserFacts {
  const capabilities: UserFacts["capabilities"] = {};
  for (const [key, state] of Object.entries(user.capabilities)) {
    capabilities[key] = scrub(state) as UserFacts["capabilities"][string];
  }
  return { id: user.id, tenant_id: user.tenant_id, capabilities };
}

function scrub(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_KEYS.has(k)) clean[k] = scrub(v);
  return clean;
}

export interface PolicyInput {
  request: Record<string, unknown>;
  tenant: TenantFacts | null;
  user: UserFacts | null;
  defaults: Record<string, unknown>;
  token?: TokenFacts;
  config?: { clock_tolerance_seconds: number };
}

export function buildPolicyInput(
  facts: FactSource,
  request: Record<string, unknown>,
  extra: { token?: TokenFacts; clockToleranceSeconds?: number } = {},
): PolicyInput {
  const tenantId = request["tenant_id"];
  const userId = request["user_id"];
  const user = typeof userId === "string" ? facts.user(userId) : null;
  // The token itself stays out of the policy input: the policy reads the verified claims.
  const { token: _raw, ...rest } = request;
  const input: PolicyInput = {
    request: rest,
    tenant: typeof tenantId === "string" ? facts.tenant(tenantId) : null,
    user: user === null ? null : withoutSecrets(user),
    defaults: facts.defaults(),
  };
  if (extra.token !== undefined) input.token = extra.token;
  if (extra.clockToleranceSeconds !== undefined) input.config = { clock_tolerance_seconds: extra.clockToleranceSeconds };
  return input;
}
