// POST /mfa/totp/verify, /mfa/totp/enroll and /mfa/totp/enroll/confirm over
// src/totp. A verification is counted by outcome and written to the decision
// log (its input masked there) as a decision of its own, mfa.totp.verify.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Hono, MiddlewareHandler } from "hono";
import { isCapgateError } from "../../errors.js";
import { confirmEnrollment, parseTotpInput, startEnrollment, verifyTotp } from "../../totp/index.js";
import type { AppDeps } from "./app.js";
import { readJson } from "./read-json.js";

export function totpRoutes(app: Hono, deps: Pick<AppDeps, "totp" | "metrics" | "decisionLog" | "engine">, limit: MiddlewareHandler): void {
  app.post("/mfa/totp/verify", limit, async (c) => {
    const started = performance.now();
    const input = parseTotpInput(await readJson(c), deps.totp.settings.digits);
    let outcome;
    try {
      outcome = await verifyTotp(deps.totp, input);
    } catch (e) {
      deps.metrics.totp.inc({ outcome: isCapgateError(e) ? e.code : "error" });
      throw e;
    }
    deps.metrics.totp.inc({ outcome: outcome.verified ? "verified" : outcome.reason });
    const answer = { decision_id: randomUUID(), ...outcome };
    deps.decisionLog.write({
      decision_id: answer.decision_id,
      decision: "mfa.totp.verify",
      input,
      result: answer,
      policy_revision: deps.engine.revision,
      replica_version: null,
      latency_ms: performance.now() - started,
    });
    return c.json(answer);
  });

  app.post("/mfa/totp/enroll", limit, async (c) => {
    const started = await startEnrollment(deps.totp, await readJson(c));
    // The answer holds the new secret: no cache may keep it.
    c.header("cache-control", "no-store");
    return c.json(started);
  });

  app.post("/mfa/totp/enroll/confirm", limit, async (c) => c.json(await confirmEnrollment(deps.totp, await readJson(c))));
}
