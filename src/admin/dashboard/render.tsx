// How a dashboard handler answers: a page as HTML with its status, and a
// refusal from the admin service (403, 404, 409, 412, 400) as a page that says
// why, never the API's JSON. Form fields are read here in one place.
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { isCapgateError } from "../../errors.js";
import { toHttpError } from "../../server/http/http-error.js";
import type { ChangeContext } from "../principal.js";
import type { DashboardEnv } from "./session.js";
import { ErrorPage } from "./views/layout.js";

export type Ctx = Context<DashboardEnv>;

export function page(c: Ctx, node: JSX.Element, status: 200 | 400 | 403 | 404 | 409 | 412 = 200): Response {
  return c.html(`<!doctype html>${String(node)}`, status);
}

/** The status and message a refusal maps to; anything that is not a CapgateError is rethrown (a bug for onError). */
export function refusal(e: unknown): { status: 400 | 403 | 404 | 409 | 412; message: string; field: string } {
  if (!isCapgateError(e)) throw e;
  const { status } = toHttpError(e);
  const field = typeof e.details?.["field"] === "string" ? (e.details["field"] as string) : "";
  const known = [400, 403, 404, 409, 412] as const;
  const s = (known as readonly number[]).includes(status) ? (status as (typeof known)[number]) : 400;
  if (status >= 500) throw e;
  return { status: s, message: besideField(e.message, field), field };
}

/** Shown next to its field, a message need not repeat the field's name: "value.seconds: must be ..." reads "Must be ...". */
function besideField(message: string, field: string): string {
  if (field === "" || !message.startsWith(`${field}: `)) return message;
  const rest = message.slice(field.length + 2);
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

export function errorPage(c: Ctx, e: unknown): Response {
  const r = refusal(e);
  const s = c.get("signedIn");
  return page(c, <ErrorPage principal={s.principal} csrf={s.csrf} status={r.status} message={r.message} />, r.status);
}

export function changeContext(c: Ctx): ChangeContext {
  return { principal: c.get("signedIn").principal, requestId: c.get("requestId") ?? null };
}

/** The form's text fields (a repeated or file field reads as its first text value, or ""). */
export async function formFields(c: Ctx): Promise<(name: string) => string> {
  const body = await c.req.parseBody({ all: true });
  return (name) => {
    const v = body[name];
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === "string" ? first : "";
  };
}

export function flashFor(c: Ctx, messages: Readonly<Record<string, string>>): string | undefined {
  const done = c.req.query("done");
  return done === undefined ? undefined : messages[done];
}
