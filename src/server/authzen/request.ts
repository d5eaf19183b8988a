// The AuthZEN 1.0 request bodies: the shapes of subject, action, resource and
// context, the single evaluation, the boxcarred evaluations (top-level values
// as defaults each item may replace), and the search requests. Unknown fields
// are ignored, as the spec asks; an entity keeps its own extra members (older
// interop clients put `ownerID` beside `id`), so the policy sees them.
import { z } from "zod";
import { principalId } from "../http/principal-id.js";
import { fromZod, inputError } from "../http/http-error.js";
import { safeParseWorded } from "../../zod-wording.js";

const properties = z.record(z.string(), z.unknown()).optional();
const subject = z.looseObject({ type: principalId, id: principalId, properties });
const action = z.looseObject({ name: principalId, properties });
const resource = z.looseObject({ type: principalId, id: principalId, properties });
const context = z.record(z.string(), z.unknown()).optional();

const evaluationSchema = z.object({ subject, action, resource, context });

/** One evaluation as the policy receives it as `input`. */
export type Evaluation = z.infer<typeof evaluationSchema>;

export const SEMANTICS = ["execute_all", "deny_on_first_deny", "permit_on_first_permit"] as const;
export type Semantic = (typeof SEMANTICS)[number];

const tuple = ["subject", "action", "resource", "context"] as const;
const anObject = z.record(z.string(), z.unknown());

const evaluationsSchema = z.object({
  subject: anObject.optional(),
  action: anObject.optional(),
  resource: anObject.optional(),
  context: anObject.optional(),
  evaluations: z.array(z.unknown()).optional(),
  options: z.looseObject({ evaluations_semantic: z.enum(SEMANTICS).optional() }).optional(),
});

/** An item of a batch: its evaluation, or why it cannot be evaluated (its answer is then a deny). */
export type BatchItem = { ok: true; evaluation: Evaluation } | { ok: false; message: string };

export type EvaluationsRequest =
  | { kind: "single"; evaluation: Evaluation }
  | { kind: "batch"; semantic: Semantic; items: BatchItem[] };

/**
 * A well-formed evaluation taken as it is, or undefined for zod to judge (and
 * word what is wrong). zod's loose objects cost several microseconds a
 * request, more than the rest of the route; this accepts exactly what the
 * schema accepts, the entities' extra members kept.
 */
function wellFormed(body: unknown): Evaluation | undefined {
  if (!isPlain(body)) return undefined;
  const { subject, action, resource, context } = body;
  if (!isPlain(subject) || !isId(subject["type"]) || !isId(subject["id"]) || !optionalPlain(subject["properties"])) return undefined;
  if (!isPlain(action) || !isId(action["name"]) || !optionalPlain(action["properties"])) return undefined;
  if (!isPlain(resource) || !isId(resource["type"]) || !isId(resource["id"]) || !optionalPlain(resource["properties"])) return undefined;
  if (!optionalPlain(context)) return undefined;
  const evaluation = { subject, action, resource } as Evaluation;
  if (context !== undefined) evaluation.context = context as Record<string, unknown>;
  return evaluation;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalPlain(v: unknown): boolean {
  return v === undefined || isPlain(v);
}

/** As principalId: 1 to 256 characters, no NUL. */
function isId(v: unknown): v is string {
  return typeof v === "string" && v.length >= 1 && v.length <= 256 && !v.includes("\u0000");
}

/** Validates a single evaluation; a missing or malformed field is a 400 naming it. */
export function parseEvaluation(body: unknown): Evaluation {
  const fast = wellFormed(body);
  if (fast !== undefined) return fast;
  const r = safeParseWorded(evaluationSchema, body);
  if (!r.success) throw fromZod(r.error, "", body);
  return r.data;
}

/**
 * Validates a boxcarred request. The defaults and the options are the
 * request's (a 400 when malformed); an item that is incomplete once merged
 * with them is that item's error. No array, or an empty one, is a single
 * evaluation of the top-level values.
 */
export function parseEvaluations(body: unknown, maxItems: number): EvaluationsRequest {
  const r = safeParseWorded(evaluationsSchema, body);
  if (!r.success) throw fromZod(r.error, "", body);
  const { evaluations, options, ...defaults } = r.data;
  if (evaluations === undefined || evaluations.length === 0) return { kind: "single", evaluation: parseEvaluation(defaults) };
  if (evaluations.length > maxItems) throw inputError("evaluations", "too_big", `must hold at most ${maxItems} evaluations`);
  const items = evaluations.map((item, i): BatchItem => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return { ok: false, message: `evaluations[${i}]: must be an object` };
    const merged: Record<string, unknown> = { ...defaults };
    for (const key of tuple) if ((item as Record<string, unknown>)[key] !== undefined) merged[key] = (item as Record<string, unknown>)[key];
    const fast = wellFormed(merged);
    if (fast !== undefined) return { ok: true, evaluation: fast };
    const parsed = safeParseWorded(evaluationSchema, merged);
    return parsed.success ? { ok: true, evaluation: parsed.data } : { ok: false, message: fromZod(parsed.error, `evaluations[${i}]`, merged).message };
  });
  return { kind: "batch", semantic: options?.evaluations_semantic ?? "execute_all", items };
}

export const SEARCH_KINDS = ["subject", "resource", "action"] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

const page = z.looseObject({ next_token: z.string().max(512).optional() }).optional();
const typed = z.looseObject({ type: principalId, id: principalId.optional(), properties });

/** What each search needs: the searched entity's type (subject, resource) or nothing of it (action). */
const searchSchemas: Record<SearchKind, z.ZodType<Record<string, unknown> & { page?: { next_token?: string | undefined } | undefined }>> = {
  subject: z.object({ subject: typed, action, resource, context, page }),
  resource: z.object({ subject, action, resource: typed, context, page }),
  action: z.object({ subject, resource, context, page }),
};

export interface SearchRequest {
  /** The request without its page: what the policy is asked. */
  query: Record<string, unknown>;
  token: string | undefined;
}

export function parseSearch(kind: SearchKind, body: unknown): SearchRequest {
  const r = safeParseWorded(searchSchemas[kind], body);
  if (!r.success) throw fromZod(r.error, "", body);
  const { page: p, ...query } = r.data;
  const token = p?.next_token;
  return { query, token: token === undefined || token === "" ? undefined : token };
}
