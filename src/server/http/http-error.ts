// The one place an error becomes an HTTP answer. Every route throws
// CapgateError; this maps its code (and, for input errors, the kind of problem)
// to a status and the single JSON error shape callers can rely on:
//   {"error": {"code", "message", "details": {"field", "problem"}}}
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { valueAt } from "../../zod-wording.js";
import { CapgateError, isCapgateError } from "../../errors.js";

/** Input problems whose status is not the generic 400. */
const PROBLEM_STATUS: Readonly<Record<string, ContentfulStatusCode>> = {
  body_too_large: 413,
  unsupported_content_type: 415,
  unknown_route: 404,
  method_not_allowed: 405,
  misdirected_host: 421,
  unauthorized: 401,
  // TOTP enrollment (src/totp/enroll.ts).
  unknown_user: 404,
  no_pending_enrollment: 404,
  already_enrolled: 409,
  enrollment_expired: 410,
  // The admin API's refusals (src/admin/).
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_many_requests: 429,
};

export interface HttpError {
  status: ContentfulStatusCode;
  body: { error: ReturnType<CapgateError["toJSON"]> };
}

export function toHttpError(e: unknown): HttpError {
  const err = isCapgateError(e)
    ? e
    : // Anything else is a bug; its message may hold internals, so it stays in the log only.
      new CapgateError("eval_internal_error", "internal error");
  const problem = typeof err.details?.["problem"] === "string" ? (err.details["problem"] as string) : undefined;
  let status: ContentfulStatusCode;
  if (err.code === "invalid_input") status = (problem !== undefined ? PROBLEM_STATUS[problem] : undefined) ?? 400;
  else if (err.code === "not_configured") status = 503;
  else status = 500;
  return { status, body: { error: err.toJSON() } };
}

/** An input error naming the field (a dotted path into the request body) and the problem. */
export function inputError(field: string, problem: string, message: string): CapgateError {
  return new CapgateError("invalid_input", field === "" ? message : `${field}: ${message}`, { details: { field, problem } });
}

/** The first zod issue as one input error; the caller fixes it and tries again. */
export function fromZod(error: z.ZodError, at: string, value: unknown): CapgateError {
  const issue = error.issues[0]!;
  let path = at;
  for (const p of issue.path) path = typeof p === "number" ? `${path}[${p}]` : fieldPath(path, String(p));
  let problem: string = issue.code;
  if (issue.code === "invalid_type") {
    problem = valueAt(value, issue.path) === undefined ? "missing" : "wrong_type";
  } else if (issue.code === "unrecognized_keys") {
    problem = "unknown_field";
    path = fieldPath(path, issue.keys[0] ?? "");
  }
  return inputError(path, problem, issue.message);
}

/** The field `b` inside `a` as input errors name it: `a.b`, or `b` alone at the top of the body. */
export function fieldPath(a: string, b: string): string {
  return a === "" ? b : `${a}.${b}`;
}
