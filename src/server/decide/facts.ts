// Gathers the facts a decision needs from the replica and builds the policy
// input the Rego in policies/capgate/ reads:
//   {request, tenant: {id, capabilities, features} | null,
//    user: {id, tenant_id, capabilities: {key: {status, source, data}}} | null,
//    defaults: {key: default_value}, token?, config?}
// Facts are passed as stored; what they mean is decided by the policy. The
// input is built as JSON text: the replica hands over each subject's facts as
// JSON already, and the policy module reads JSON text, so no fact is parsed
// into JavaScript objects and serialised again on the way.
import type { ReplicaState } from "../../replica/index.js";

/**
 * One indexed lookup per tenant and per user; the catalog defaults are cached
 * by the source. Each lookup answers the subject's facts as JSON text with
 * every secret already removed, or null for an unknown subject.
 */
export interface FactSource {
  /** The file read (the replica path's target when opened). */
  readonly file: string;
  /** Never throws: a failure to read is reported as a state. */
  state(): ReplicaState;
  /** `{"id", "capabilities": {key: value}, "features": {key: bool}}` */
  tenantJson(id: string): string | null;
  /** `{"id", "tenant_id", "capabilities": {key: {"status", "source", "data"}}}` */
  userJson(id: string): string | null;
  /** `{key: default_value}` from the capability catalog. */
  defaultsJson(): string;
  /** Runs PRAGMA quick_check; a problem marks the source corrupt. Answers the problem, or null when sound. */
  checkIntegrity(): string | null;
  /** Marks the source unusable: state() says corrupt and every lookup throws from now on. */
  markCorrupt(reason: string): void;
  close(): void;
}

/** The result of checking a token's signature (src/server/decide/jwt.ts). */
export interface TokenFacts {
  verified: boolean;
  error?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/**
 * The policy input as JSON text. The raw token stays out of it: the policy
 * reads the verified claims in `token`. `requestJson` is the request as JSON
 * text when the caller has made it already (the decision log wants it too).
 */
export function buildPolicyInput(
  facts: FactSource,
  request: Record<string, unknown>,
  extra: { token?: TokenFacts | undefined; clockToleranceSeconds?: number; requestJson?: string } = {},
): string {
  const tenantId = request["tenant_id"];
  const userId = request["user_id"];
  const tenant = typeof tenantId === "string" ? facts.tenantJson(tenantId) : null;
  const user = typeof userId === "string" ? facts.userJson(userId) : null;
  // The caller's text of the request serves as it is unless a raw token must be left out.
  const shown = "token" in request ? JSON.stringify({ ...request, token: undefined }) : (extra.requestJson ?? JSON.stringify(request));
  let text = `{"request":${shown},"tenant":${tenant ?? "null"},"user":${user ?? "null"},"defaults":${facts.defaultsJson()}`;
  if (extra.token !== undefined) text += `,"token":${JSON.stringify(extra.token)}`;
  if (extra.clockToleranceSeconds !== undefined) text += `,"config":{"clock_tolerance_seconds":${JSON.stringify(extra.clockToleranceSeconds)}}`;
  return text + "}";
}
