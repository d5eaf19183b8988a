// Middleware: a request body larger than `max_body_bytes` is refused with 413
// (body_too_large) before any route reads it.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { inputError } from "./http-error.js";

export function declaredBodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => inputError("body", "body_too_large", `is larger than the limit of ${maxBytes} bytes`);
  const streamingLimit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  // A declared length is checked from the header (Node's parser never delivers
  // more than it); only a chunked body needs hono's counting stream, which would
  // otherwise slow every request down. Not async: compose() catches what it throws.
  return (c, next) => {
    const declared = c.req.header("content-length");
    if (declared === undefined) return streamingLimit(c, next);
    if (!/^\d+$/.test(declared) || Number(declared) > maxBytes) throw tooLarge();
    return next();
  };
}
