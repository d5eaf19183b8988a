// Turns an Authorization header (or a bare token) into a Principal: an admin
// token looked up by its SHA-256, or, when OIDC is configured, a JWT verified
// with jose against the configured JWKS, issuer and audience, its role and
// tenant read from configured claims. Anything else is null: never a guess.
import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { CapgateError } from "../errors.js";
import type { Queryable } from "../primary/index.js";
import { ROLES, type Principal, type Role } from "./principal.js";
import { findLiveToken, hashToken, TOKEN_PREFIX } from "./store/index.js";

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** A JWKS file, or an https URL fetched (and cached) by jose. */
  jwks_file?: string | undefined;
  jwks_url?: string | undefined;
  role_claim: string;
  tenant_claim: string;
  algorithms: string[];
  clock_tolerance_seconds: number;
}

export type Authenticate = (headerOrToken: string | undefined) => Promise<Principal | null>;

export function createAuthenticator(db: Queryable, oidc?: OidcSettings): Authenticate {
  const keys = oidc === undefined ? undefined : oidcKeys(oidc);
  return async (headerOrToken) => {
    const token = bearer(headerOrToken);
    if (token === undefined) return null;
    if (token.startsWith(TOKEN_PREFIX)) {
      const rec = await findLiveToken(db, hashToken(token));
      return rec === undefined ? null : { actor: rec.name, role: rec.role, tenantId: rec.tenant_id };
    }
    if (oidc === undefined || keys === undefined || token.split(".").length !== 3) return null;
    return verifyOidc(token, oidc, keys);
  };
}

function bearer(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const m = /^Bearer\s+(\S+)$/i.exec(v);
  if (m !== null) return m[1];
  // A bare token (a dashboard's session may hold one); a header of any other scheme is not.
  return /\s/.test(v) || v === "" ? undefined : v;
}

function oidcKeys(oidc: OidcSettings): JWTVerifyGetKey {
  if (oidc.jwks_url !== undefined) return createRemoteJWKSet(new URL(oidc.jwks_url));
  if (oidc.jwks_file === undefined) throw new CapgateError("config_error", "oidc: give jwks_file or jwks_url");
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(oidc.jwks_file, "utf8"));
  } catch (e) {
    throw new CapgateError("config_error", `oidc.jwks_file: cannot read ${oidc.jwks_file} as JSON (${(e as Error).message})`);
  }
  if (typeof jwks !== "object" || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys))
    throw new CapgateError("config_error", `oidc.jwks_file: ${oidc.jwks_file} is not a JWK set ({"keys": [...]})`);
  return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
}

async function verifyOidc(token: string, oidc: OidcSettings, keys: JWTVerifyGetKey): Promise<Principal | null> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: oidc.issuer,
      audience: oidc.audience,
      algorithms: oidc.algorithms,
      clockTolerance: oidc.clock_tolerance_seconds,
      requiredClaims: ["sub", "exp"],
    }));
  } catch {
    return null;
  }
  const role = payload[oidc.role_claim];
  const tenant = payload[oidc.tenant_claim];
  const sub = payload["sub"];
  if (typeof sub !== "string" || sub === "") return null;
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role) || role === "sidecar") return null;
  const tenantId = typeof tenant === "string" && tenant !== "" ? tenant : null;
  // The same rule as the token table's CHECK: a tenant admin is bound, an operator never.
  if (role === "tenant-admin" && tenantId === null) return null;
  if (role === "operator" && tenantId !== null) return null;
  return { actor: sub, role: role as Role, tenantId };
}
