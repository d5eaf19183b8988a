// The decisions the sidecar answers: for each, the Rego entrypoint whose package
// document is the answer, and the zod schema of the caller's input. Only the
// shape of the input is checked here; what the input means is the policy's.
import { z } from "zod";
import { fieldPath, fromZod, inputError } from "../http/http-error.js";
import { principalId } from "../http/principal-id.js";
import { safeParseWorded } from "../../zod-wording.js";

const id = principalId;

const tokenIssueInput = z
  .object({
    tenant_id: id,
    user_id: id,
    token_type: z.enum(["access", "refresh"]),
    requested_ttl_seconds: z.number().int().positive().max(10 * 365 * 86400).optional(),
    auth: z.object({ methods: z.array(z.string().min(1).max(64)).max(16) }),
  })
  .strict();

const tokenValidateInput = z
  .object({
    tenant_id: id,
    token: z
      .string()
      .max(16 * 1024)
      .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/, "must be a compact JWT (three base64url parts)"),
  })
  .strict();

const mfaRequirementInput = z.object({ tenant_id: id, user_id: id }).strict();

export interface DecisionSpec {
  name: string;
  entrypoint: string;
  schema: z.ZodType<Record<string, unknown>>;
}

export const DECISIONS: readonly DecisionSpec[] = [
  { name: "token.issue", entrypoint: "capgate/token/issue", schema: tokenIssueInput },
  { name: "token.validate", entrypoint: "capgate/token/validate", schema: tokenValidateInput },
  { name: "mfa.requirement", entrypoint: "capgate/mfa/requirement", schema: mfaRequirementInput },
];

const byName = new Map(DECISIONS.map((d) => [d.name, d]));
const byEntrypoint = new Map(DECISIONS.map((d) => [d.entrypoint, d]));

export function decisionByEntrypoint(path: string): DecisionSpec | undefined {
  return byEntrypoint.get(path.replace(/^\/+|\/+$/g, ""));
}

export interface DecisionRequest {
  spec: DecisionSpec;
  input: Record<string, unknown>;
}

const envelope = z.object({ decision: z.string(), input: z.unknown() }).strict();

/** Validates one `{"decision", "input"}` object; `at` prefixes field names ("batch[2]"). */
export function parseDecisionRequest(body: unknown, at = ""): DecisionRequest {
  const env = safeParseWorded(envelope, body);
  if (!env.success) throw fromZod(env.error, at, body);
  const spec = byName.get(env.data.decision);
  if (spec === undefined)
    throw inputError(fieldPath(at, "decision"), "unknown_decision", `unknown decision ${JSON.stringify(env.data.decision)} (known: ${[...byName.keys()].join(", ")})`);
  return { spec, input: parseInput(spec, env.data.input, fieldPath(at, "input")) };
}

export function parseInput(spec: DecisionSpec, input: unknown, at = "input"): Record<string, unknown> {
  const r = safeParseWorded(spec.schema, input);
  if (!r.success) throw fromZod(r.error, at, input);
  return r.data;
}
