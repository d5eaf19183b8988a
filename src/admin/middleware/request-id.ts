// Gives every request an id: the caller's X-Request-Id when it is a sane
// token, else a new UUID. It is echoed back and recorded with each change.
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AdminEnv } from "./env.js";

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given !== undefined && SANE.test(given) ? given : randomUUID();
    c.set("requestId", id);
    c.header("x-request-id", id);
    await next();
  };
}
