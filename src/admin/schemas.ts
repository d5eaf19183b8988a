// The admin API's request and answer shapes as zod schemas (with OpenAPI
// names): the routes validate with them and GET /admin/v1/openapi.json is
// generated from them, so the document cannot drift from what is enforced.
import { z } from "@hono/zod-openapi";

const TenantId = z.string().min(1).max(200);
const Timestamp = z.string().openapi({ example: "2026-12-04T21:00:00.123456Z", description: "UTC, ISO 8601 with microseconds" });
const JsonObject = z.record(z.string(), z.unknown());

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_input" }),
      message: z.string().openapi({ example: "value.seconds: must be at least 60" }),
      details: z.record(z.string(), z.unknown()).optional().openapi({ example: { field: "value.seconds", problem: "too_small" } }),
    }),
  })
  .openapi("Error");

// ---- parameters

export const TenantParams = z.object({ tenant: TenantId.openapi({ param: { name: "tenant", in: "path" }, example: "acme" }) });
export const TenantKeyParams = TenantParams.extend({
  key: z.string().min(1).max(100).openapi({ param: { name: "key", in: "path" }, example: "max_token_ttl" }),
});
export const TenantUserParams = TenantParams.extend({
  user: z.string().min(1).max(200).openapi({ param: { name: "user", in: "path" }, example: "u-alice" }),
});
export const RolloutParams = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: "id", in: "path" }, example: "ro_3f2a9c01b7de" }) });

const Limit = z.coerce.number().int().min(1).max(500).optional().openapi({ param: { name: "limit", in: "query" }, example: 50 });
const Cursor = z.string().min(1).max(500).optional().openapi({ param: { name: "cursor", in: "query" } });

export const PageQuery = z.object({ limit: Limit, cursor: Cursor }).strict();
export const AuditQuery = z
  .object({
    tenant: TenantId.optional().openapi({ param: { name: "tenant", in: "query" } }),
    actor: z.string().min(1).max(200).optional().openapi({ param: { name: "actor", in: "query" } }),
    since: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: "since", in: "query" }, example: "2026-12-01T00:00:00Z" }),
    limit: Limit,
    cursor: Cursor,
  })
  .strict();

export const IfMatchHeader = z.object({
  "if-match": z.string().max(1000).optional().openapi({ param: { name: "if-match", in: "header" }, description: "ETag of the row read; 412 when it changed since" }),
});

// ---- bodies

export const CapabilityPutBody = z
  .object({ value: z.unknown().openapi({ description: "validated against the capability's value_schema (GET /capabilities)", example: { seconds: 900 } }) })
  .strict()
  .openapi("CapabilityPut");
export const FeaturePutBody = z.object({ enabled: z.boolean() }).strict().openapi("FeaturePut");

const Percent = z.number().int().min(1).max(100);
export const RolloutCreateBody = z
  .object({
    capability: z.object({ key: z.string().min(1).max(100), value: z.unknown() }).strict().optional(),
    feature: z.object({ key: z.string().min(1).max(100), enabled: z.boolean() }).strict().optional(),
    stages: z.array(Percent).min(1).max(20).openapi({ example: [5, 25, 50, 100] }),
    allow: z.array(TenantId).max(10_000).optional(),
    deny: z.array(TenantId).max(10_000).optional(),
  })
  .strict()
  .openapi("RolloutCreate");

// ---- answers

export const CapabilityStateSchema = z
  .object({ value: JsonObject, source: z.string(), updated_at: Timestamp.nullable(), etag: z.string() })
  .openapi("CapabilityState");
export const FeatureStateSchema = z
  .object({ enabled: z.boolean(), source: z.string(), updated_at: Timestamp.nullable(), etag: z.string() })
  .openapi("FeatureState");

export const CatalogSchema = z
  .object({
    items: z.array(
      z.object({
        key: z.string(),
        kind: z.string(),
        description: z.string(),
        default_value: JsonObject,
        is_system: z.boolean(),
        value_schema: JsonObject.openapi({ description: "JSON Schema of the value PUT accepts" }),
      }),
    ),
  })
  .openapi("Catalog");

export const TenantSummarySchema = z.object({ id: z.string(), name: z.string(), created_at: Timestamp, updated_at: Timestamp }).openapi("TenantSummary");
export const TenantPageSchema = z.object({ items: z.array(TenantSummarySchema), next_cursor: z.string().nullable() }).openapi("TenantPage");
export const TenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    capabilities: z.record(z.string(), CapabilityStateSchema),
    features: z.record(z.string(), FeatureStateSchema),
  })
  .openapi("Tenant");

export const UserSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    email: z.string().nullable(),
    capabilities: z.record(z.string(), z.object({ status: z.string(), source: z.string(), data: z.unknown(), updated_at: Timestamp })),
  })
  .openapi("User");
export const TotpResetSchema = z
  .object({
    user: UserSchema,
    reset: z.object({
      removed_state: z.object({ status: z.string(), source: z.string(), data: z.unknown(), updated_at: Timestamp }).nullable(),
      pending_enrollments_removed: z.number().int(),
      legacy_secret_cleared: z.boolean(),
    }),
  })
  .openapi("TotpReset");

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: Timestamp,
    actor: z.string(),
    action: z.string(),
    tenant_id: z.string().nullable(),
    target: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    request_id: z.string().nullable(),
  })
  .openapi("AuditEntry");
export const AuditPageSchema = z.object({ items: z.array(AuditEntrySchema), next_cursor: z.string().nullable() }).openapi("AuditPage");

export const RolloutSchema = z
  .object({
    id: z.string(),
    target: z.object({ kind: z.enum(["capability", "feature"]), key: z.string() }),
    value: JsonObject,
    stages: z.array(z.object({ stage: z.number().int(), percent: z.number().int(), applied: z.boolean(), tenants: z.array(z.string()) })),
    allow: z.array(z.string()),
    deny: z.array(z.string()),
    current_stage: z.number().int(),
    status: z.enum(["active", "completed", "rolled_back"]),
    created_by: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    rollback: z.object({ restored: z.array(z.string()), kept: z.array(z.string()) }).nullable(),
  })
  .openapi("Rollout");
export const RollbackSchema = z
  .object({
    rollout: RolloutSchema,
    restored: z.array(z.object({ tenant_id: z.string(), value: JsonObject.nullable() })),
    kept: z.array(z.object({ tenant_id: z.string(), current: JsonObject.nullable(), current_source: z.string().nullable() })),
  })
  .openapi("Rollback");

/** The error answers every route may give, by status. */
export function errorResponses(...statuses: Array<400 | 401 | 403 | 404 | 409 | 412 | 415 | 429>) {
  const described: Record<number, string> = {
    400: "bad input: the field and the problem",
    401: "no valid token",
    403: "the token's role or tenant does not allow this",
    404: "no such tenant, user, capability or rollout",
    409: "the rollout's state does not allow this step",
    412: "If-Match does not name the current ETag",
    415: "the body is not application/json",
    429: "too many failed authentications from this source",
  };
  const out: Record<number, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }> = {};
  for (const s of [400, 401, 429, ...statuses]) out[s] = { description: described[s]!, content: { "application/json": { schema: ErrorSchema } } };
  return out;
}

export function jsonAnswer<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true };
}
