// The decisions the sidecar answers: for each, the Rego entrypoint whose package
// document is the answer, and the zod schema of the caller's input. Only the
// shape of the input is checked here; what the input means is the policy's.
import { z } from "zod";
import { inputError } from "./http-error.js";
import { safeParseWorded, valueAt } from "../zod-wording.js";
import type { CapgateError } from "../errors.js";

/**
 * A tenant or user id as every route takes it. The primary is PostgreSQL, whose text
 * cannot hold NUL: such an id names nobody, and asking the primary for it is an error there.
 */
export const principalId = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");
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
    throw inputError(join(at, "decision"), "unknown_decision", `unknown decision ${JSON.stringify(env.data.decision)} (known: ${[...byName.keys()].join(", ")})`);
  return { spec, input: parseInput(spec, env.data.input, join(at, "input")) };
}

export function parseInput(spec: DecisionSpec, input: unknown, at = "input"): Record<string, unknown> {
  const r = safeParseWorded(spec.schema, input);
  if (!r.success) throw fromZod(r.error, at, input);
  return r.data;
}

/** The first zod issue as one input error; the caller fixes it and tries again. */
export function fromZod(error: z.ZodError, at: string, value: unknown): CapgateError {
  const issue = error.issues[0]!;
  let path = at;
  for (const p of issue.path) path = typeof p === "number" ? `${path}[${p}]` : join(path, String(p));
  let problem: string = issue.code;
  if (issue.code === "invalid_type") {
    problem = valueAt(value, issue.path) === undefined ? "missing" : "wrong_type";
  } else if (issue.code === "unrecognized_keys") {
    problem = "unknown_field";
    path = join(path, issue.keys[0] ?? "");
  }
  return inputError(path, problem, issue.message);
}


function join(a: string, b: string): string {
  return a === "" ? b : `${a}.${b}`;
}
