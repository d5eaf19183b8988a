// The admin server's middleware, one small factory per file.
export type { AdminEnv } from "./env.js";
export { requestId } from "./request-id.js";
export { failureLimiter, sourceOf, type FailureLimiter } from "./rate-limit.js";
export { authenticate } from "./authenticate.js";
export { jsonBody } from "./json-body.js";
export { serviceLog } from "./service-log.js";
export { requestMetrics } from "./metrics.js";
