// What the admin API does, without HTTP: each function checks the caller's
// role, validates, and runs as one transaction on the primary that writes the
// change and its audit row together. The routes call these; a server-rendered
// dashboard can call them directly and get the same rules.
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import { z } from "zod";
import type { PrimarySession, Queryable } from "../primary/index.js";
import { fromZod, inputError } from "../server/http/http-error.js";
import { safeParseWorded } from "../zod-wording.js";
import { assertCanRead, assertCanReadAll, assertCanWrite, assertOperator, assertReader, type ChangeContext, type Principal, type Role } from "./principal.js";
import { stageMembership } from "./rollouts/index.js";
import * as store from "./store/index.js";

export interface CatalogView {
  key: string;
  kind: string;
  description: string;
  default_value: Record<string, unknown>;
  is_system: boolean;
  value_schema: Record<string, unknown>;
}

export interface TenantView {
  id: string;
  name: string;
  capabilities: Record<string, store.CapabilityState>;
  features: Record<string, store.FeatureState>;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface RolloutSpec {
  /** The value is checked against the capability's schema. */
  capability?: { key: string; value?: unknown } | undefined;
  feature?: { key: string; enabled: boolean } | undefined;
  stages: number[];
  allow?: string[] | undefined;
  deny?: string[] | undefined;
}

export interface RolloutStage {
  stage: number;
  percent: number;
  applied: boolean;
  tenants: string[];
}

export interface RolloutView {
  id: string;
  target: { kind: store.RolloutTargetKind; key: string };
  value: Record<string, unknown>;
  stages: RolloutStage[];
  allow: string[];
  deny: string[];
  current_stage: number;
  status: store.RolloutRecord["status"];
  created_by: string;
  created_at: string;
  updated_at: string;
  rollback: { restored: string[]; kept: string[] } | null;
}

export interface RollbackResult {
  rollout: RolloutView;
  restored: Array<{ tenant_id: string; value: Record<string, unknown> | null }>;
  /** Rows an administrator changed after the rollout wrote them: left as they are. */
  kept: Array<{ tenant_id: string; current: Record<string, unknown> | null; current_source: string | null }>;
}

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

export type AdminService = ReturnType<typeof createAdminService>;

export function createAdminService(primary: PrimarySession) {
  const tx = <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => primary.transaction(fn);

  async function catalogEntry(q: Queryable, key: string): Promise<store.CatalogEntry> {
    const entry = (await store.readCatalog(q)).find((c) => c.key === key);
    if (entry === undefined) throw store.notFound("key", `no capability ${JSON.stringify(key)} in the catalog`);
    return entry;
  }

  async function tenantView(q: Queryable, tenant: store.TenantRow): Promise<TenantView> {
    const catalog = await store.readCatalog(q);
    const caps = await store.readCapabilityRows(q, tenant.id);
    const feats = await store.readFeatureRows(q, tenant.id);
    const capabilities: Record<string, store.CapabilityState> = {};
    for (const c of catalog) capabilities[c.key] = store.capabilityState(c.key, caps.get(c.key), c.default_value);
    const features: Record<string, store.FeatureState> = {};
    for (const k of store.featureKeys(catalog)) features[k] = store.featureState(k, feats.get(k));
    return { id: tenant.id, name: tenant.name, capabilities, features };
  }

  async function rolloutView(q: Queryable, r: store.RolloutRecord): Promise<RolloutView> {
    const rows = await store.readRolloutRows(q, r.id);
    const written = new Set(rows.map((w) => w.tenant_id));
    const all = r.status === "active" ? await store.allTenantIds(q) : [];
    const inStage = stageMembership(r);
    const stages = r.stages.map((percent, i): RolloutStage => {
      const stage = i + 1;
      if (stage <= r.current_stage) return { stage, percent, applied: true, tenants: rows.filter((w) => w.stage === stage).map((w) => w.tenant_id) };
      // A stage still to come: the tenants it would add were it applied now.
      const tenants = all.filter((t) => !written.has(t) && inStage(t, percent));
      for (const t of tenants) written.add(t);
      return { stage, percent, applied: false, tenants };
    });
    const rolledBack = r.status === "rolled_back";
    return {
      id: r.id,
      target: { kind: r.target_kind, key: r.target_key },
      value: r.value,
      stages,
      allow: r.allow,
      deny: r.deny,
      current_stage: r.current_stage,
      status: r.status,
      created_by: r.created_by,
      created_at: r.created_at,
      updated_at: r.updated_at,
      rollback: rolledBack
        ? { restored: rows.filter((w) => w.outcome === "restored").map((w) => w.tenant_id), kept: rows.filter((w) => w.outcome === "kept").map((w) => w.tenant_id) }
        : null,
    };
  }

  async function lockRollout(q: Queryable, id: string): Promise<store.RolloutRecord> {
    const r = await store.readRollout(q, id, true);
    if (r === undefined) throw store.notFound("rollout", `no rollout ${JSON.stringify(id)}`);
    return r;
  }

  return {
    async catalog(p: Principal): Promise<CatalogView[]> {
      assertReader(p);
      const entries = await store.readCatalog(primary);
      return entries.map((c) => ({ ...c, value_schema: valueJsonSchema(c.key) }));
    },

    async listTenants(p: Principal, opts: { limit?: number | undefined; cursor?: string | undefined }): Promise<Page<{ id: string; name: string; created_at: string; updated_at: string }>> {
      assertReader(p);
      const limit = opts.limit ?? DEFAULT_PAGE;
      const after = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
      const rows = await store.listTenants(primary, { after, limit: limit + 1, only: p.tenantId });
      const items = rows.slice(0, limit);
      return { items, next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },

    async getTenant(p: Principal, id: string): Promise<TenantView> {
      assertCanRead(p, id);
      const tenant = await store.readTenant(primary, id);
      if (tenant === undefined) throw store.notFound("tenant", `no tenant ${JSON.stringify(id)}`);
      return tenantView(primary, tenant);
    },

    async putCapability(ctx: ChangeContext, tenantId: string, key: string, value: unknown, ifMatch?: string): Promise<store.CapabilityState> {
      assertCanWrite(ctx.principal, tenantId);
      return tx(async (q) => {
        const cur = await store.lockCapability(q, tenantId, key);
        const checked = checkValue(key, value);
        const before = store.capabilityState(key, cur.row, cur.defaultValue);
        checkIfMatch(ifMatch, before.etag);
        const row = await store.writeCapabilityAudited(q, tenantId, key, checked, {
          ...auditOf(ctx, "capability.put", `tenants/${tenantId}/capabilities/${key}`),
          before: withoutEtag(before),
        });
        return store.capabilityState(key, row, cur.defaultValue);
      });
    },

    async deleteCapability(ctx: ChangeContext, tenantId: string, key: string, ifMatch?: string): Promise<store.CapabilityState> {
      assertCanWrite(ctx.principal, tenantId);
      return tx(async (q) => {
        await store.lockTenant(q, tenantId);
        const entry = await catalogEntry(q, key);
        const before = store.capabilityState(key, (await store.readCapabilityRows(q, tenantId, key)).get(key), entry.default_value);
        checkIfMatch(ifMatch, before.etag);
        await store.deleteCapability(q, tenantId, key);
        const after = store.capabilityState(key, undefined, entry.default_value);
        await store.writeAudit(q, audit(ctx, "capability.delete", tenantId, `tenants/${tenantId}/capabilities/${key}`, before, after));
        return after;
      });
    },

    async putFeature(ctx: ChangeContext, tenantId: string, key: string, enabled: boolean, ifMatch?: string): Promise<store.FeatureState> {
      assertCanWrite(ctx.principal, tenantId);
      return tx(async (q) => {
        const cur = await store.lockCapability(q, tenantId, key, "feature");
        const row = cur.row === undefined ? undefined : { enabled: cur.row.value["enabled"] === true, source: cur.row.source, updated_at: cur.row.updated_at };
        const before = store.featureState(key, row);
        checkIfMatch(ifMatch, before.etag);
        const written = await store.writeFeatureAudited(q, tenantId, key, enabled, {
          ...auditOf(ctx, "feature.put", `tenants/${tenantId}/features/${key}`),
          before: withoutEtag(before),
        });
        return store.featureState(key, written);
      });
    },

    async getUser(p: Principal, tenantId: string, userId: string): Promise<store.UserView> {
      assertCanRead(p, tenantId);
      const user = await store.readUser(primary, tenantId, userId);
      if (user === undefined) throw store.notFound("user", `no user ${JSON.stringify(userId)} in tenant ${JSON.stringify(tenantId)}`);
      return user;
    },

    async resetUserTotp(ctx: ChangeContext, tenantId: string, userId: string): Promise<{ user: store.UserView; reset: store.TotpResetResult }> {
      assertCanWrite(ctx.principal, tenantId);
      return tx(async (q) => {
        await store.lockTenant(q, tenantId);
        const user = await store.readUser(q, tenantId, userId, true);
        if (user === undefined) throw store.notFound("user", `no user ${JSON.stringify(userId)} in tenant ${JSON.stringify(tenantId)}`);
        const reset = await store.resetTotp(q, user);
        const after = await store.readUser(q, tenantId, userId);
        await store.writeAudit(
          q,
          audit(ctx, "user.totp.reset", tenantId, `tenants/${tenantId}/users/${userId}/totp`, reset.removed_state, {
            pending_enrollments_removed: reset.pending_enrollments_removed,
            legacy_secret_cleared: reset.legacy_secret_cleared,
          }),
        );
        return { user: after!, reset };
      });
    },

    async listAudit(
      p: Principal,
      opts: { tenant?: string | undefined; actor?: string | undefined; since?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
    ): Promise<Page<store.AuditRecord>> {
      let tenant = opts.tenant ?? null;
      if (p.tenantId !== null) {
        assertCanRead(p, tenant ?? p.tenantId);
        tenant = p.tenantId;
      } else assertCanReadAll(p);
      const limit = opts.limit ?? DEFAULT_PAGE;
      const cursor = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
      if (cursor !== null && !/^\d{1,19}$/.test(cursor)) throw inputError("cursor", "invalid", "is not a cursor this server gave out");
      const rows = await store.readAudit(primary, { tenant, actor: opts.actor ?? null, since: opts.since ?? null, before_id: cursor, limit: limit + 1 });
      const items = rows.slice(0, limit);
      return { items, next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },

    async createRollout(ctx: ChangeContext, spec: RolloutSpec): Promise<RolloutView> {
      assertOperator(ctx.principal);
      const target = checkRolloutSpec(spec);
      return tx(async (q) => {
        if (target.kind === "capability") await catalogEntry(q, target.key);
        else if (!store.featureKeys(await store.readCatalog(q)).includes(target.key)) throw store.notFound("feature.key", `no feature ${JSON.stringify(target.key)}`);
        const r = await store.insertRollout(q, {
          id: `ro_${randomBytes(6).toString("hex")}`,
          target_kind: target.kind,
          target_key: target.key,
          value: target.value,
          stages: spec.stages,
          allow: spec.allow ?? [],
          deny: spec.deny ?? [],
          created_by: ctx.principal.actor,
        });
        const view = await rolloutView(q, r);
        await store.writeAudit(q, audit(ctx, "rollout.create", null, `rollouts/${r.id}`, null, { target: view.target, value: r.value, stages: r.stages, allow: r.allow, deny: r.deny }));
        return view;
      });
    },

    async advanceRollout(ctx: ChangeContext, id: string): Promise<RolloutView> {
      assertOperator(ctx.principal);
      return tx(async (q) => {
        const r = await lockRollout(q, id);
        if (r.status !== "active") throw inputError("rollout", "conflict", `rollout ${id} is ${r.status.replace("_", " ")}; it cannot advance`);
        const stage = r.current_stage + 1;
        const percent = r.stages[stage - 1]!;
        const written = new Set((await store.readRolloutRows(q, id)).map((w) => w.tenant_id));
        const inStage = stageMembership(r);
        const tenants = (await store.allTenantIds(q)).filter((t) => !written.has(t) && inStage(t, percent));
        await store.lockTenants(q, tenants);
        const before = await beforeStates(q, r, tenants);
        await store.applyStage(q, r, stage, tenants);
        await store.setRolloutState(q, id, stage, stage === r.stages.length ? "completed" : "active");
        const target = r.target_kind === "capability" ? "capabilities" : "features";
        const value = store.rolloutStoredValue(r);
        await store.writeAuditMany(
          q,
          tenants.map((t) => audit(ctx, "rollout.advance", t, `tenants/${t}/${target}/${r.target_key}`, before.get(t) ?? null, { value, rollout: id, stage })),
        );
        await store.writeAudit(q, audit(ctx, "rollout.advance", null, `rollouts/${id}`, { stage: r.current_stage }, { stage, percent, tenants_added: tenants }));
        return rolloutView(q, (await store.readRollout(q, id))!);
      });
    },

    async rollbackRollout(ctx: ChangeContext, id: string): Promise<RollbackResult> {
      assertOperator(ctx.principal);
      return tx(async (q) => {
        const r = await lockRollout(q, id);
        if (r.status === "rolled_back") throw inputError("rollout", "conflict", `rollout ${id} is already rolled back`);
        await store.lockTenants(q, (await store.readRolloutRows(q, id)).map((w) => w.tenant_id));
        const outcome = await store.rollBack(q, r);
        await store.setRolloutState(q, id, r.current_stage, "rolled_back");
        const target = r.target_kind === "capability" ? "capabilities" : "features";
        await store.writeAuditMany(
          q,
          outcome.restored.map((x) => audit(ctx, "rollout.rollback", x.tenant_id, `tenants/${x.tenant_id}/${target}/${r.target_key}`, x.before, { value: x.after, rollout: id })),
        );
        await store.writeAudit(
          q,
          audit(ctx, "rollout.rollback", null, `rollouts/${id}`, { status: r.status, stage: r.current_stage }, {
            status: "rolled_back",
            restored: outcome.restored.map((x) => x.tenant_id),
            kept: outcome.kept.map((x) => x.tenant_id),
          }),
        );
        return {
          rollout: await rolloutView(q, (await store.readRollout(q, id))!),
          restored: outcome.restored.map((x) => ({ tenant_id: x.tenant_id, value: x.after })),
          kept: outcome.kept,
        };
      });
    },

    async getRollout(p: Principal, id: string): Promise<RolloutView> {
      assertCanReadAll(p);
      const r = await store.readRollout(primary, id);
      if (r === undefined) throw store.notFound("rollout", `no rollout ${JSON.stringify(id)}`);
      return rolloutView(primary, r);
    },
  };
}

async function beforeStates(q: Queryable, r: store.RolloutRecord, tenants: readonly string[]): Promise<Map<string, unknown>> {
  const table = r.target_kind === "capability" ? "tenant_capabilities" : "tenant_features";
  const keyColumn = r.target_kind === "capability" ? "capability_key" : "feature_key";
  const valueExpr = r.target_kind === "capability" ? "value" : "jsonb_build_object('enabled', enabled)";
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT tenant_id, ${valueExpr} AS value, source FROM ${table} WHERE ${keyColumn} = $1 AND tenant_id = ANY($2::text[])`,
    [r.target_key, tenants],
  );
  return new Map(rows.map((row) => [String(row["tenant_id"]), { value: row["value"], source: row["source"] }]));
}

function audit(ctx: ChangeContext, action: string, tenantId: string | null, target: string, before: unknown, after: unknown): store.AuditEntry {
  return { actor: ctx.principal.actor, action, tenant_id: tenantId, target, before: withoutEtag(before), after: withoutEtag(after), request_id: ctx.requestId };
}

function auditOf(ctx: ChangeContext, action: string, target: string): Omit<store.WriteAudit, "before"> {
  return { actor: ctx.principal.actor, action, target, request_id: ctx.requestId };
}

/** A row's state as the trail keeps it: the ETag is derived, not data. */
function withoutEtag(state: unknown): unknown {
  if (typeof state !== "object" || state === null || !("etag" in state)) return state ?? null;
  const { etag: _derived, ...rest } = state as Record<string, unknown>;
  return rest;
}

/** The capability's value checked against its schema; 400 naming the field otherwise. */
export function checkValue(key: string, value: unknown, at = "value"): Record<string, unknown> {
  const schema = store.CAPABILITY_VALUE_SCHEMAS[key];
  if (schema === undefined) throw store.notFound("key", `no value schema for capability ${JSON.stringify(key)}`);
  const r = safeParseWorded(schema, value);
  if (!r.success) throw fromZod(r.error, at, value);
  return r.data;
}

export function valueJsonSchema(key: string): Record<string, unknown> {
  const schema = store.CAPABILITY_VALUE_SCHEMAS[key];
  if (schema === undefined) return {};
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

/** 412 unless `ifMatch` (an If-Match header) names the current ETag or is `*`. */
export function checkIfMatch(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined) return;
  const given = ifMatch.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (given.includes("*") || given.includes(current)) return;
  throw inputError("if-match", "precondition_failed", `does not match the current ETag ${current}; read the row again and retry`);
}

function checkRolloutSpec(spec: RolloutSpec): { kind: store.RolloutTargetKind; key: string; value: Record<string, unknown> } {
  if ((spec.capability === undefined) === (spec.feature === undefined))
    throw inputError("capability", "invalid", "give exactly one of capability or feature");
  for (let i = 1; i < spec.stages.length; i++)
    if (spec.stages[i]! <= spec.stages[i - 1]!) throw inputError(`stages[${i}]`, "invalid", "stages must rise (a stage only adds tenants)");
  const deny = new Set(spec.deny ?? []);
  const both = (spec.allow ?? []).find((t) => deny.has(t));
  if (both !== undefined) throw inputError("allow", "invalid", `tenant ${JSON.stringify(both)} is in both allow and deny`);
  if (spec.capability !== undefined)
    return { kind: "capability", key: spec.capability.key, value: checkValue(spec.capability.key, spec.capability.value, "capability.value") };
  return { kind: "feature", key: spec.feature!.key, value: { enabled: spec.feature!.enabled } };
}

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (typeof v === "object" && v !== null && typeof (v as { after?: unknown }).after === "string") return (v as { after: string }).after;
  } catch {
    // fall through to the one answer for any cursor this server did not make
  }
  throw inputError("cursor", "invalid", "is not a cursor this server gave out");
}

/** The actor a command-line change is attributed to. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

export type { Role };
