// Requires a valid admin token or OIDC JWT on every /admin/v1 route and puts
// the caller's Principal on the context. A missing credential is 401; a wrong
// one is 401 and counts against its source, which is refused with 429 once
// over the limit.
import type { MiddlewareHandler } from "hono";
import { inputError } from "../../server/http/http-error.js";
import type { Authenticate } from "../auth.js";
import type { AdminEnv } from "./env.js";
import { sourceOf, type FailureLimiter } from "./rate-limit.js";

export function authenticate(auth: Authenticate, limiter: FailureLimiter, onFailure?: (source: string) => void): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const source = sourceOf(c);
    const wait = limiter.retryAfter(source);
    if (wait > 0) {
      c.header("retry-after", String(wait));
      throw inputError("authorization", "too_many_requests", `too many failed authentications from this address; retry in ${wait} s`);
    }
    const header = c.req.header("authorization");
    if (header === undefined || header.trim() === "") {
      c.header("www-authenticate", 'Bearer realm="capgate-admin"');
      throw inputError("authorization", "unauthorized", "a bearer token is required (capgate admin token create)");
    }
    const principal = await auth(header);
    if (principal === null) {
      limiter.fail(source);
      onFailure?.(source);
      c.header("www-authenticate", 'Bearer realm="capgate-admin", error="invalid_token"');
      throw inputError("authorization", "unauthorized", "the bearer token is not valid");
    }
    c.set("principal", principal);
    await next();
  };
}
