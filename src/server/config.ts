// The sidecar's settings: defaults, then a config file (YAML or JSON), then
// CAPGATE_* environment variables, then command-line flags, validated once at
// start-up with zod. Every bad setting becomes its own one-line config_error,
// so an operator fixes them all in one pass instead of one per restart.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import { wording } from "../zod-wording.js";
import { CapgateError, CapgateErrors } from "../errors.js";
import { yaml } from "../yaml-lazy.js";
import { DECISION_LOG_BUFFER_BYTES, MIN_DECISION_LOG_BUFFER_BYTES } from "./decision-log.js";

/** Algorithms jose can verify; `none` is deliberately absent and refused by name. */
const JWT_ALGORITHMS = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
  "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
  "HS256", "HS384", "HS512",
] as const;

const positiveInt = z.number().int().positive();

// A service's bearer token, as a string or in OPA's own shape {token, scheme}.
const credentials = z
  .object({
    bearer: z
      .union([z.string().min(1), z.object({ token: z.string().min(1), scheme: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/).default("Bearer") }).strict()])
      .optional(),
  })
  .strict();

const configSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8181),
    // Binding beyond loopback exposes decisions to the network; it must be asked for.
    allow_non_loopback: z.boolean().default(false),
    // Host header names answered besides the bound address and localhost (DNS rebinding guard):
    // "name" for any port, "name:port" for one.
    allowed_hosts: z
      .array(z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/, "must be a host name or address, optionally with :port"))
      .default([]),
    admin_token: z.string().min(16, "must be at least 16 characters").optional(),
    bundle: z.string().min(1).optional(),
    replica: z.string().min(1).optional(),
    database_url: z.string().min(1).optional(),
    max_body_bytes: positiveInt.max(16 * 1024 * 1024).default(64 * 1024),
    max_staleness_seconds: positiveInt.default(300),
    // PRAGMA quick_check of the serving replica this often (0: only when a replica is loaded).
    replica_integrity_check_seconds: z.number().int().min(0).max(86_400).default(300),
    decision_deadline_ms: positiveInt.max(60_000).default(100),
    max_batch: positiveInt.max(10_000).default(100),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // "stdout", a file path, or "off".
    decision_log: z.string().min(1).default("stdout"),
    // Most bytes of decision-log lines held for a destination that lags; beyond it lines are dropped and counted.
    decision_log_buffer_bytes: z.number().int().min(MIN_DECISION_LOG_BUFFER_BYTES).max(1024 * 1024 * 1024).default(DECISION_LOG_BUFFER_BYTES),
    watch: z.boolean().default(true),
    jwt: z
      .object({
        jwks_file: z.string().min(1).optional(),
        algorithms: z
          .array(z.string())
          .min(1)
          .superRefine((algs, ctx) => {
            for (const a of algs) {
              if (a.toLowerCase() === "none") ctx.addIssue({ code: "custom", message: "`none` is never allowed" });
              else if (!(JWT_ALGORITHMS as readonly string[]).includes(a))
                ctx.addIssue({ code: "custom", message: `unknown algorithm ${JSON.stringify(a)}` });
            }
          })
          .default(["RS256", "ES256", "EdDSA"]),
        clock_tolerance_seconds: z.number().int().min(0).max(600).default(30),
      })
      .strict()
      .prefault({}),
    totp: z
      .object({
        // Accepted steps either side of the current one (RFC 6238 §5.2 drift).
        window: z.number().int().min(0).max(10).default(1),
        period_seconds: positiveInt.max(300).default(30),
        digits: z.union([z.literal(6), z.literal(7), z.literal(8)]).default(6),
        // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts.
        lockout_threshold: positiveInt.max(100, "must be at most 100 (NIST SP 800-63B)").default(5),
        lockout_seconds: positiveInt.default(900),
        // The shortest secret verification accepts, in bytes once decoded. RFC 4226
        // (R6) asks for 16 (128 bits); 10 admits the 80-bit secrets many older
        // authenticator set-ups made, for a migration that cannot re-enroll everyone.
        min_secret_bytes: z
          .number()
          .int()
          .min(10, "must be at least 10 (80 bits, the shortest secret authenticator apps have used)")
          .max(64)
          .default(16),
        // How long a started enrollment (POST /mfa/totp/enroll) may be confirmed.
        enrollment_seconds: positiveInt.max(86_400).default(600),
        // The issuer authenticator apps show for an enrolled account.
        issuer: z.string().min(1).max(100).default("capgate"),
        // base64url of 32 random bytes (A256GCM key for the stored secrets).
        encryption_key: z
          .string()
          .refine((s) => decodedLength(s) === 32, "must be base64url of exactly 32 bytes")
          .optional(),
      })
      .strict()
      .prefault({}),
    assertion: z
      .object({
        // A private JWK (JSON file) with its `alg`; without it TOTP success cannot be asserted.
        signing_key_file: z.string().min(1).optional(),
        issuer: z.string().min(1).default("capgate"),
        ttl_seconds: positiveInt.max(3600).default(300),
      })
      .strict()
      .prefault({}),
    // OPA-format bundle signatures: with a key, an unsigned, wrongly signed or altered bundle is refused.
    bundle_verification: z
      .object({
        // PEM public key or certificate (RS*, PS*, ES*, EdDSA), or a file whose bytes are an HMAC secret.
        key_file: z.string().min(1).optional(),
        key_id: z.string().min(1).optional(),
        scope: z.string().optional(),
      })
      .strict()
      .prefault({})
      .superRefine((v, ctx) => {
        if (v.key_file !== undefined) return;
        for (const k of ["key_id", "scope"] as const)
          if (v[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "has no effect without bundle_verification.key_file" });
      }),
    // Keep `replica` from a relay over NATS JetStream (`capgate relay`) inside the sidecar.
    sync: z
      .object({
        nats_url: z.string().min(1),
        stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'").default("CAPGATE"),
        // Public key (PEM or JWK) snapshots must be signed with; unsigned ones are then refused.
        key_file: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    // "nats": the bundle comes from the fleet's object store (`capgate policy publish`) on sync.nats_url.
    bundle_source: z.enum(["file", "nats"]).default("file"),
    // The bundle from an OPA bundle service instead of a file (src/server/bundle-service.ts).
    bundle_service: z
      .object({
        url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
        resource: z.string().min(1).default("bundles/bundle.tar.gz"),
        polling: z
          .object({
            min_delay_seconds: positiveInt.max(86_400).default(60),
            max_delay_seconds: positiveInt.max(86_400).default(120),
            long_polling_timeout_seconds: positiveInt.max(3600).optional(),
          })
          .strict()
          .prefault({})
          .refine((p) => p.min_delay_seconds <= p.max_delay_seconds, { message: "min_delay_seconds must not exceed max_delay_seconds", path: ["min_delay_seconds"] }),
        credentials: credentials.optional(),
        // Where the last activated bundle is kept, so a restart without the service still serves.
        persistence_directory: z.string().min(1).default(".capgate/bundles"),
      })
      .strict()
      .optional(),
    // Decision events uploaded to a service speaking OPA's decision log API (src/server/decision-upload.ts), beside `decision_log`.
    decision_logs: z
      .object({
        url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
        resource: z.string().min(1).default("/logs"),
        min_delay_seconds: positiveInt.max(86_400).default(300),
        max_delay_seconds: positiveInt.max(86_400).default(600),
        upload_size_limit_bytes: positiveInt.min(1024).max(64 * 1024 * 1024).default(32_768),
        max_decisions_per_second: z.number().positive().optional(),
        // Events waiting for an upload; past it the oldest are dropped (and counted).
        buffer_size_limit_bytes: positiveInt.max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
        credentials: credentials.optional(),
      })
      .strict()
      .refine((d) => d.min_delay_seconds <= d.max_delay_seconds, { message: "min_delay_seconds must not exceed max_delay_seconds", path: ["min_delay_seconds"] })
      .optional(),
    // The AuthZEN 1.0 API (src/server/authzen/): the entrypoints it asks, and what its metadata advertises.
    authzen: z
      .object({
        entrypoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/, "must be an entrypoint path such as authzen/decision").default("authzen/decision"),
        batch_entrypoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/, "must be an entrypoint path such as authzen/decision").default("authzen/evaluations"),
        policy_decision_point: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
        search_page_size: positiveInt.max(1000).default(50),
        // "replica": each input also holds {facts: {tenant, user, defaults}} for the subject, read from the replica.
        facts: z.enum(["none", "replica"]).default("none"),
      })
      .strict()
      .prefault({}),
    // Status reports to a control plane (`capgate admin serve`), OPA status API style.
    status: z
      .object({
        url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
        bearer: z.string().min(16, "must be at least 16 characters").optional(),
        interval_seconds: positiveInt.max(3600).default(15),
        id: z.string().min(1).max(200).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.sync !== undefined && c.replica === undefined)
      ctx.addIssue({ code: "custom", path: ["sync"], message: "needs `replica`: the file the NATS follower keeps" });
    if (c.bundle_service !== undefined && c.bundle !== undefined)
      ctx.addIssue({ code: "custom", path: ["bundle_service"], message: "set either `bundle` (a file) or `bundle_service`, not both" });
    if (c.bundle_source === "nats" && c.sync === undefined)
      ctx.addIssue({ code: "custom", path: ["bundle_source"], message: "nats needs sync.nats_url" });
    if (!isLoopback(c.host)) {
      if (!c.allow_non_loopback)
        ctx.addIssue({
          code: "custom",
          path: ["host"],
          message: `${c.host} is not a loopback address; pass --allow-non-loopback (and an admin token) to bind it`,
        });
      if (c.admin_token === undefined)
        ctx.addIssue({ code: "custom", path: ["admin_token"], message: `required when binding ${c.host}` });
    }
  });

export type ServerConfig = z.infer<typeof configSchema>;

function decodedLength(s: string): number {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return -1;
  return Buffer.from(s, "base64url").length;
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** Environment variables and the setting each one fills. */
const ENV: ReadonlyArray<readonly [string, string, "string" | "int" | "bool" | "list"]> = [
  ["CAPGATE_HOST", "host", "string"],
  ["CAPGATE_PORT", "port", "int"],
  ["CAPGATE_ALLOW_NON_LOOPBACK", "allow_non_loopback", "bool"],
  ["CAPGATE_ALLOWED_HOSTS", "allowed_hosts", "list"],
  ["CAPGATE_ADMIN_TOKEN", "admin_token", "string"],
  ["CAPGATE_BUNDLE", "bundle", "string"],
  ["CAPGATE_REPLICA", "replica", "string"],
  ["CAPGATE_DATABASE_URL", "database_url", "string"],
  ["CAPGATE_MAX_BODY_BYTES", "max_body_bytes", "int"],
  ["CAPGATE_MAX_STALENESS_SECONDS", "max_staleness_seconds", "int"],
  ["CAPGATE_REPLICA_INTEGRITY_CHECK_SECONDS", "replica_integrity_check_seconds", "int"],
  ["CAPGATE_DECISION_DEADLINE_MS", "decision_deadline_ms", "int"],
  ["CAPGATE_LOG_LEVEL", "log_level", "string"],
  ["CAPGATE_DECISION_LOG", "decision_log", "string"],
  ["CAPGATE_DECISION_LOG_BUFFER_BYTES", "decision_log_buffer_bytes", "int"],
  ["CAPGATE_JWKS_FILE", "jwt.jwks_file", "string"],
  ["CAPGATE_JWT_ALGORITHMS", "jwt.algorithms", "list"],
  ["CAPGATE_JWT_CLOCK_TOLERANCE_SECONDS", "jwt.clock_tolerance_seconds", "int"],
  ["CAPGATE_TOTP_WINDOW", "totp.window", "int"],
  ["CAPGATE_TOTP_LOCKOUT_THRESHOLD", "totp.lockout_threshold", "int"],
  ["CAPGATE_TOTP_LOCKOUT_SECONDS", "totp.lockout_seconds", "int"],
  ["CAPGATE_TOTP_MIN_SECRET_BYTES", "totp.min_secret_bytes", "int"],
  ["CAPGATE_TOTP_ENCRYPTION_KEY", "totp.encryption_key", "string"],
  ["CAPGATE_ASSERTION_SIGNING_KEY_FILE", "assertion.signing_key_file", "string"],
  ["CAPGATE_VERIFICATION_KEY", "bundle_verification.key_file", "string"],
  ["CAPGATE_VERIFICATION_KEY_ID", "bundle_verification.key_id", "string"],
  ["CAPGATE_BUNDLE_SCOPE", "bundle_verification.scope", "string"],
  ["CAPGATE_SYNC_NATS_URL", "sync.nats_url", "string"],
  ["CAPGATE_SYNC_STREAM", "sync.stream", "string"],
  ["CAPGATE_SYNC_KEY_FILE", "sync.key_file", "string"],
  ["CAPGATE_BUNDLE_SOURCE", "bundle_source", "string"],
  ["CAPGATE_STATUS_URL", "status.url", "string"],
  ["CAPGATE_STATUS_BEARER", "status.bearer", "string"],
];

export interface ConfigSources {
  /** Path of a YAML or JSON config file. */
  file?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  /** Settings from flags, already keyed by setting path ("port", "totp.window"). */
  flags?: Readonly<Record<string, unknown>>;
}

/** Merges the sources and validates; throws CapgateErrors with one config_error per bad setting. */
export function loadConfig(sources: ConfigSources = {}): ServerConfig {
  const errors: CapgateError[] = [];
  const raw: Record<string, unknown> = {};
  if (sources.file !== undefined) merge(raw, readConfigFile(sources.file));
  const env = sources.env ?? {};
  for (const [name, path, kind] of ENV) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    const value = fromEnv(v, kind);
    if (value === undefined) errors.push(new CapgateError("config_error", `${path}: ${name}=${JSON.stringify(v)} is not a valid ${kind}`));
    else setPath(raw, path, value);
  }
  if (env["CAPGATE_DATABASE_URL"] === undefined && env["DATABASE_URL"]) setPath(raw, "database_url", env["DATABASE_URL"]);
  for (const [path, value] of Object.entries(sources.flags ?? {})) if (value !== undefined) setPath(raw, path, value);

  // Parsed once, so without zod's fast path (jitless): it would first compile a function per
  // object schema, which costs more (~3 ms of serve's start) than it saves on a value parsed once.
  const parsed = configSchema.safeParse(raw, { error: wording, jitless: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join(".") || "(root)";
      const message = issue.code === "unrecognized_keys" ? `unknown setting(s) ${issue.keys.join(", ")}` : issue.message;
      errors.push(new CapgateError("config_error", `${path}: ${message}`, { details: { setting: path } }));
    }
  }
  if (errors.length > 0 || !parsed.success) throw new CapgateErrors(errors);
  return parsed.data;
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CapgateErrors([new CapgateError("config_error", `${file}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? "error"})`)]);
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both formats.
    doc = yaml().parse(text);
  } catch (e) {
    throw new CapgateErrors([new CapgateError("config_error", `${file}: not valid YAML/JSON: ${(e as Error).message.split("\n")[0]}`)]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new CapgateErrors([new CapgateError("config_error", `${file}: the config must be a mapping of settings`)]);
  return doc as Record<string, unknown>;
}

function fromEnv(v: string, kind: "string" | "int" | "bool" | "list"): unknown {
  switch (kind) {
    case "string":
      return v;
    case "int":
      return /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
    case "bool":
      return ["1", "true", "yes"].includes(v.toLowerCase()) ? true : ["0", "false", "no"].includes(v.toLowerCase()) ? false : undefined;
    case "list":
      return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    const t = target[k];
    if (typeof v === "object" && v !== null && !Array.isArray(v) && typeof t === "object" && t !== null && !Array.isArray(t))
      merge(t as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}
