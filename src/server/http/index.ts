// The sidecar's HTTP side, the front file server.ts wires it through: the Hono
// app and its routes (app.ts), the Host check (host-check.ts), and the answers
// to requests too broken for the app (malformed-request.ts). The error mapping
// (http-error.ts), the body limit (body-limit.ts) and the id shape
// (principal-id.ts) are leaves that src/admin, src/totp and the decision code
// import by their own paths, so that importing them never loads the app.
export { createApp, type AppDeps } from "./app.js";
export { hostCheck, type HostCheckOptions } from "./host-check.js";
export { answerClientErrors, malformedRequestAnswer } from "./malformed-request.js";
