// Middleware: with `admin_token` configured, every route but the exempt ones
// needs `Authorization: Bearer <token>`. Compared in constant time, so the
// answer's timing says nothing about how much of a guess was right.
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { inputError } from "./http-error.js";

export interface AdminAuthOptions {
  token: string;
  /** Paths answered without the token (the liveness probe). */
  exempt: readonly string[];
}

export function adminAuth(opts: AdminAuthOptions): MiddlewareHandler {
  const expected = Buffer.from(`Bearer ${opts.token}`);
  return async (c, next) => {
    if (opts.exempt.includes(c.req.path)) return next();
    const given = Buffer.from(c.req.header("authorization") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw inputError("authorization", "unauthorized", "a valid admin bearer token is required");
    return next();
  };
}
