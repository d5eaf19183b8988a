// Reads a request body as JSON before validation, so a wrong content type,
// an oversized or malformed body each get their own one-line 4xx in the
// common error shape (the validator would otherwise see an empty object).
import type { MiddlewareHandler } from "hono";
import { declaredBodyLimit } from "../../server/http/body-limit.js";
import { inputError } from "../../server/http/http-error.js";

export function jsonBody(maxBytes: number): MiddlewareHandler {
  // The sidecar's limit: 413 body_too_large, from the declared length or counted as the body streams in.
  const limit = declaredBodyLimit(maxBytes);
  const check: MiddlewareHandler = async (c, next) => {
    const text = await c.req.text();
    if (text.trim() === "") return next();
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type))
      throw inputError("content-type", "unsupported_content_type", `must be application/json (got ${type === "" ? "none" : JSON.stringify(type)})`);
    try {
      JSON.parse(text);
    } catch (e) {
      throw inputError("body", "malformed_json", `is not valid JSON (${(e as Error).message})`);
    }
    return next();
  };
  return async (c, next) => {
    if (c.req.method !== "POST" && c.req.method !== "PUT" && c.req.method !== "PATCH") return next();
    return limit(c, async () => {
      await check(c, next);
    });
  };
}
