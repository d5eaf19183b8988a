// A route's request body as JSON: a content type other than application/json,
// an empty body and malformed text each get their own one-line input error.
import type { Context } from "hono";
import { inputError } from "./http-error.js";

/** The request body as JSON, refusing a non-JSON content type and malformed text. */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (type !== "application/json" && !/^application\/json\s*(;|$)/i.test(type))
    throw inputError("content-type", "unsupported_content_type", `must be application/json (got ${type === "" ? "none" : JSON.stringify(type)})`);
  const text = await c.req.text();
  if (text.trim() === "") throw inputError("body", "missing", "is empty; a JSON object is required");
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the fault, which may hold a line break: escaped, the error stays one line.
    const reason = (e as Error).message.replace(/[\u0000-\u001f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
    throw inputError("body", "malformed_json", `is not valid JSON (${reason})`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

