// Reads a request body as JSON before validation, so a wrong content type,
// an oversized or malformed body each get their own one-line 4xx in the
// common error shape (the validator would otherwise see an empty object).
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { inputError } from "../../server/http/http-error.js";

export function jsonBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => inputError("body", "body_too_large", `is larger than the limit of ${maxBytes} bytes`);
  // Only a body without a declared length needs counting as it streams in.
  const streamingLimit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
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
    const declared = c.req.header("content-length");
    if (declared === undefined)
      return streamingLimit(c, async () => {
        await check(c, next);
      });
    if (!/^\d+$/.test(declared) || Number(declared) > maxBytes) throw tooLarge();
    return check(c, next);
  };
}
