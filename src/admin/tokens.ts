// Creating, listing and revoking admin tokens (what `capgate admin token`
// runs). Creation and revocation are changes like any other: audited, each in
// one transaction.
import { randomBytes } from "node:crypto";
import type { PrimarySession } from "../primary/index.js";
import { inputError } from "../server/http/http-error.js";
import { ROLES, type Role } from "./principal.js";
import * as store from "./store/index.js";

export interface CreatedToken {
  token: string;
  record: store.TokenRecord;
}

export async function createAdminToken(
  primary: PrimarySession,
  opts: { role: string; tenant?: string | undefined; name?: string | undefined; actor: string },
): Promise<CreatedToken> {
  if (!(ROLES as readonly string[]).includes(opts.role)) throw inputError("role", "invalid", `must be one of ${ROLES.join(", ")}`);
  const role = opts.role as Role;
  if (role === "tenant-admin" && opts.tenant === undefined) throw inputError("tenant", "missing", "is required for a tenant-admin token");
  if ((role === "operator" || role === "sidecar") && opts.tenant !== undefined) throw inputError("tenant", "invalid", `${role} tokens are not bound to a tenant`);
  const id = `tok_${randomBytes(5).toString("hex")}`;
  const name = opts.name ?? `${role}-${id.slice(4)}`;
  if (name.trim() === "" || name.length > 200) throw inputError("name", "invalid", "must be 1 to 200 characters");
  const token = store.newToken();
  const record = await primary.transaction(async (q) => {
    if (opts.tenant !== undefined && (await store.readTenant(q, opts.tenant)) === undefined)
      throw store.notFound("tenant", `no tenant ${JSON.stringify(opts.tenant)}`);
    const live = await q.query("SELECT 1 FROM admin_tokens WHERE name = $1 AND revoked_at IS NULL", [name]);
    if (live.rows.length > 0) throw inputError("name", "conflict", `a live token is already named ${JSON.stringify(name)}`);
    const rec = await store.insertToken(q, { id, name, role, tenant_id: opts.tenant ?? null, hash: store.hashToken(token) });
    await store.writeAudit(q, { actor: opts.actor, action: "token.create", tenant_id: rec.tenant_id, target: `tokens/${id}`, before: null, after: rec, request_id: null });
    return rec;
  });
  return { token, record };
}

export function listAdminTokens(primary: PrimarySession): Promise<store.TokenRecord[]> {
  return store.listTokens(primary);
}

export async function revokeAdminToken(primary: PrimarySession, id: string, actor: string): Promise<store.TokenRecord> {
  return primary.transaction(async (q) => {
    const before = await store.readToken(q, id);
    if (before === undefined) throw store.notFound("id", `no token ${JSON.stringify(id)}`);
    if (before.revoked_at !== null) throw inputError("id", "conflict", `token ${id} was already revoked at ${before.revoked_at}`);
    const after = (await store.markRevoked(q, id))!;
    await store.writeAudit(q, { actor, action: "token.revoke", tenant_id: after.tenant_id, target: `tokens/${id}`, before, after, request_id: null });
    return after;
  });
}
