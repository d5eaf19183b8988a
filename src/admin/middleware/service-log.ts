// One service-log line per refused or failed request (status >= 400): these
// are not changes, so they go here and never to the audit trail.
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AdminEnv } from "./env.js";

export function serviceLog(log: Logger): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    if (status < 400) return;
    const principal = c.get("principal") as AdminEnv["Variables"]["principal"] | undefined;
    const refusal = c.get("refusal") as AdminEnv["Variables"]["refusal"] | undefined;
    log[status >= 500 ? "error" : "warn"](
      {
        request_id: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status,
        actor: principal?.actor ?? null,
        role: principal?.role ?? null,
        code: refusal?.code ?? null,
        reason: refusal?.message ?? null,
      },
      "admin request refused",
    );
  };
}
