// The HTTP boundary's fuzz classes, shared by the vitest suite (fixed seed,
// few runs) and `npm run fuzz` (random seed, many runs): arbitraries for
// requests to /decide (single and batch), /v1/data/..., /mfa/totp/verify and
// stray paths, sent over a raw socket so bodies, headers and paths can be
// anything Node lets a client write; and the one rule every answer must meet:
// a JSON error of the project's shape (4xx, or 503 when not configured) or
// the route's answer (a decision, a batch of them, OPA's {result}, a TOTP
// outcome). A 5xx other than 503, a non-JSON answer or a multi-line error
// message is a finding.
import { request } from "node:http";
import fc from "fast-check";

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
}

export interface FuzzAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** Sends the request as written; null when Node refuses to send it (bad header or path characters). */
export function send(base: URL, r: FuzzRequest): Promise<FuzzAnswer | null> {
  return new Promise((resolve, reject) => {
    let req;
    try {
      // A body is framed as a real client frames it: Node sends GET and DELETE bodies unframed otherwise.
      const framed = r.body === null || "transfer-encoding" in r.headers ? r.headers : { ...r.headers, "content-length": String(Buffer.byteLength(r.body)) };
      req = request({ host: base.hostname, port: base.port, method: r.method, path: r.path, headers: framed, agent: false });
    } catch {
      resolve(null);
      return;
    }
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    try {
      if (r.body !== null) req.write(r.body);
      req.end();
    } catch {
      req.destroy();
      resolve(null);
    }
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isDecision = (v: unknown): boolean =>
  isObject(v) && typeof v["allow"] === "boolean" && Array.isArray(v["reasons"]) && typeof v["decision_id"] === "string";

/** What is wrong with the answer, or null when it is a JSON error of the project's shape or the route's answer. */
export function judge(r: FuzzRequest, a: FuzzAnswer): string | null {
  if (a.status >= 500 && a.status !== 503) return `status ${a.status}: ${a.text.slice(0, 300)}`;
  // Plain-text routes asked for by name, and HEAD (no body), are out of this rule.
  if (r.method === "HEAD" || (r.method === "GET" && /^\/metrics(\?|$)/.test(r.path))) return null;
  if (!/^application\/json/.test(a.contentType)) return `status ${a.status} answered ${JSON.stringify(a.contentType)}, not JSON: ${a.text.slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `status ${a.status}: not valid JSON: ${a.text.slice(0, 200)}`;
  }
  if (a.status >= 400) {
    const e = isObject(body) ? body["error"] : undefined;
    if (!isObject(e) || typeof e["code"] !== "string" || typeof e["message"] !== "string") return `status ${a.status}: not the error shape: ${a.text.slice(0, 200)}`;
    if (e["message"].includes("\n")) return `status ${a.status}: a multi-line error message: ${JSON.stringify(e["message"]).slice(0, 300)}`;
    return null;
  }
  if (a.status !== 200) return `status ${a.status}`;
  if (!isObject(body)) return `status 200 with ${a.text.slice(0, 100)}`;
  const path = r.path.split("?")[0]!;
  if (r.method === "GET") return null; // /health, /ready
  if (path === "/decide") return isDecision(body) || (Array.isArray(body["batch"]) && body["batch"].every(isDecision)) ? null : `not a decision: ${a.text.slice(0, 200)}`;
  if (path.startsWith("/v1/data/")) return isDecision(body["result"]) ? null : `not {result: decision}: ${a.text.slice(0, 200)}`;
  if (path === "/mfa/totp/verify") return typeof body["verified"] === "boolean" ? null : `not a TOTP outcome: ${a.text.slice(0, 200)}`;
  return `status 200 on ${path}: ${a.text.slice(0, 200)}`;
}

// ---- arbitraries -----------------------------------------------------------

const DECISION_NAMES = ["token.issue", "token.validate", "mfa.requirement"];
const ENTRYPOINTS = ["capgate/token/issue", "capgate/token/validate", "capgate/mfa/requirement"];
const TENANTS = ["acme", "globex", "", "acme\u0000", "a".repeat(257)];
const USERS = ["u-alice", "u-bob", "u-nobody", "", "' OR 1=1 --", "\u{1F600}"];

/** Mostly well-typed field values, sometimes the wrong type, sometimes extreme. */
const idLike = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TENANTS, ...USERS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const numberLike = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, 600, 3600), fc.string({ maxLength: 5 }));
const b64 = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), maxLength: 60 });
const jwtLike = fc.oneof(
  fc.tuple(b64, b64, b64).map(([a, b, c]) => `${a}.${b}.${c}`),
  fc.record({ alg: fc.constantFrom("RS256", "none", "HS256", "ES256"), kid: fc.string({ maxLength: 8 }) }).chain((h) =>
    fc.jsonValue({ maxDepth: 2 }).map((p) => `${Buffer.from(JSON.stringify(h)).toString("base64url")}.${Buffer.from(JSON.stringify(p) ?? "null").toString("base64url")}.`),
  ),
  fc.string({ maxLength: 50 }),
);

const decisionInput = fc.record(
  {
    tenant_id: idLike,
    user_id: idLike,
    token_type: fc.oneof(fc.constantFrom("access", "refresh"), idLike),
    requested_ttl_seconds: numberLike,
    auth: fc.oneof(fc.record({ methods: fc.oneof(fc.array(fc.constantFrom("pwd", "totp", "webauthn", "", "x".repeat(65)), { maxLength: 17 }), idLike) }), idLike),
    token: fc.oneof(jwtLike, idLike),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** Ids the schema takes (so the policy and the replica are reached), now and then ones it refuses. */
const goodId = fc.oneof({ weight: 8, arbitrary: fc.constantFrom("acme", "globex", "u-alice", "u-bob", "u-nobody", "\u{1F600}", "' OR 1=1 --", "a%00b") }, { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 256 }) });
const methods = fc.array(fc.constantFrom("pwd", "totp", "webauthn", "sms", "\u0000"), { maxLength: 16 });

/** Inputs shaped as each decision's schema wants, values varied: these get past validation to the policy. */
const shapedRequest = fc.oneof(
  fc.record(
    {
      decision: fc.constant("token.issue"),
      input: fc.record(
        {
          tenant_id: goodId,
          user_id: goodId,
          token_type: fc.constantFrom("access", "refresh"),
          auth: fc.record({ methods }),
          requested_ttl_seconds: fc.integer({ min: 1, max: 10 * 365 * 86400 }),
        },
        { requiredKeys: ["tenant_id", "user_id", "token_type", "auth"] },
      ),
    },
  ),
  fc.record({ decision: fc.constant("token.validate"), input: fc.record({ tenant_id: goodId, token: jwtLike }) }),
  fc.record({ decision: fc.constant("mfa.requirement"), input: fc.record({ tenant_id: goodId, user_id: goodId }) }),
);

const decisionRequest = fc.oneof(
  { weight: 5, arbitrary: shapedRequest },
  {
    weight: 5,
    arbitrary: fc.record(
      {
        decision: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...DECISION_NAMES) }, { weight: 2, arbitrary: idLike }),
        input: fc.oneof({ weight: 9, arbitrary: decisionInput }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }),
        other: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: ["decision", "input"] },
    ),
  },
);

const totpRequest = fc.oneof(
  fc.record({ tenant_id: goodId, user_id: goodId, code: fc.stringMatching(/^\d{6}$/) }),
  fc.record(
  {
    tenant_id: idLike,
    user_id: idLike,
    code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.stringMatching(/^\d{1,10}$/), idLike, numberLike),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
  ),
);

/** Deep nesting, huge numbers, lone surrogates, duplicate keys, truncation: texts JSON.parse may or may not take. */
const trickyJsonText = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((d) => "[".repeat(d) + "]".repeat(d)),
  fc.integer({ min: 1, max: 5_000 }).map((d) => '{"decision":"token.issue","input":' + '{"a":'.repeat(d) + "1" + "}".repeat(d) + "}"),
  fc.constant('{"decision":"token.issue","decision":"mfa.requirement","input":{"tenant_id":"acme","user_id":"u-alice"}}'),
  fc.constant('{"decision":"mfa.requirement","input":{"tenant_id":"\\ud800","user_id":"u-alice"}}'),
  fc.constant('{"__proto__":{"allow":true},"decision":"mfa.requirement","input":{"tenant_id":"acme","user_id":"u-alice"}}'),
  fc.constant('{"decision":"mfa.requirement","input":{"constructor":{"prototype":{"x":1}},"tenant_id":"acme","user_id":"u-alice"}}'),
  fc.jsonValue({ maxDepth: 3 }).chain((v) => fc.nat({ max: 200 }).map((cut) => JSON.stringify(v).slice(0, cut))),
  fc.constant("1e999999"),
  fc.string({ maxLength: 100 }),
);

/** A body: the route's shape with random contents, or junk. */
function bodyFor(shape: fc.Arbitrary<unknown>): fc.Arbitrary<string | Uint8Array | null> {
  return fc.oneof(
    { weight: 12, arbitrary: shape.map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: trickyJsonText },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

/** `value` `present` times in `present + absent`, else undefined. */
function sometimes<T>(value: fc.Arbitrary<T>, present: number, absent: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: present, arbitrary: value }, { weight: absent, arbitrary: fc.constant(undefined) });
}

const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant("application/json") },
  { weight: 4, arbitrary: fc.constantFrom("application/json; charset=utf-8", "APPLICATION/JSON", "application/jsonx", "text/plain", "", "application/json;", "multipart/form-data; boundary=x") },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const headers = fc
  .tuple(
    sometimes(contentType, 19, 1),
    fc.dictionary(headerName, fc.string({ maxLength: 60 }), { maxKeys: 3 }),
    sometimes(fc.constantFrom("localhost", "127.0.0.1", "evil.example.com", "[::1]", "", "localhost:1"), 1, 6),
    sometimes(fc.constantFrom("chunked", "gzip, chunked"), 1, 9),
  )
  .map(([ct, extra, host, te]) => {
    const h: Record<string, string> = {};
    // Hop-by-hop and framing headers are Node's HTTP layer's business, not the app's.
    for (const [k, v] of Object.entries(extra)) if (!/^(content-length|transfer-encoding|host|connection|expect|upgrade|te|trailer|keep-alive|proxy-.*)$/i.test(k)) h[k] = v;
    if (ct !== undefined) h["content-type"] = ct;
    if (host !== undefined) h["host"] = host;
    if (te !== undefined) h["transfer-encoding"] = te;
    return h;
  });

const method = fc.oneof({ weight: 20, arbitrary: fc.constant("POST") }, { weight: 3, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD") });

function route(path: fc.Arbitrary<string>, shape: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> {
  return fc.record({ method, path, headers, body: bodyFor(shape) });
}

const queryString = fc.oneof({ weight: 4, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((q) => `?${encodeURIComponent(q)}`) });

/** The classes `npm run fuzz` reports on, each an arbitrary of requests. */
export const HTTP_CLASSES: ReadonlyArray<{ name: string; requests: fc.Arbitrary<FuzzRequest> }> = [
  { name: "http /decide", requests: route(fc.constant("/decide"), decisionRequest) },
  {
    name: "http /decide batch",
    requests: route(
      fc.constant("/decide"),
      fc.oneof(
        { weight: 8, arbitrary: fc.record({ batch: fc.array(decisionRequest, { maxLength: 6 }) }) },
        { weight: 1, arbitrary: fc.record({ batch: fc.jsonValue({ maxDepth: 2 }), more: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ["batch"] }) },
        { weight: 1, arbitrary: fc.record({ batch: fc.array(fc.constant({ decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "u-alice" } }), { minLength: 99, maxLength: 120 }) }) },
      ),
    ),
  },
  {
    name: "http /v1/data",
    requests: fc.oneof(
      // The decision's own entrypoint with an input of its shape: these reach the policy.
      fc.record({ method, headers, shaped: shapedRequest, query: queryString }).map(({ method: m, headers: h, shaped, query }) => ({
        method: m,
        path: `/v1/data/${ENTRYPOINTS[DECISION_NAMES.indexOf(shaped.decision)]!}${query}`,
        headers: h,
        body: JSON.stringify({ input: shaped.input }),
      })),
      route(
        fc.tuple(fc.oneof(fc.constantFrom(...ENTRYPOINTS), fc.constantFrom("capgate", "capgate/token", "capgate/token/issue/", "/capgate/mfa/requirement", "capgate/../capgate/token/issue"), fc.webSegment()), queryString).map(([p, q]) => `/v1/data/${p}${q}`),
        fc.record({ input: fc.oneof(decisionInput, fc.jsonValue({ maxDepth: 2 })), other: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
      ),
    ),
  },
  { name: "http /mfa/totp/verify", requests: route(fc.constant("/mfa/totp/verify"), totpRequest) },
  {
    name: "http paths",
    requests: route(
      fc.oneof(
        fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
        fc.constantFrom("/", "//decide", "/decide/", "/DECIDE", "/decide%00", "/v1/data", "/v1/data/", "/v1/data/%2e%2e/decide", "/health", "/ready", "/metrics", "/v1/data/capgate%2Ftoken%2Fissue"),
        fc.string({ unit: "binary-ascii", maxLength: 30 }).map((s) => `/${s}`),
      ),
      fc.oneof(decisionRequest, totpRequest),
    ),
  },
];
