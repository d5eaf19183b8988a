// `capgate admin serve` settings: defaults, then a config file (YAML or JSON),
// then flags, validated with zod; every bad setting is its own config_error.
// Binding beyond loopback follows `serve`'s rule: it must be asked for.
import { z } from "zod";
import { CapgateError, CapgateErrors } from "../errors.js";
import { isLoopback, readConfigFile } from "../server/config.js";
import { safeParseWorded } from "../zod-wording.js";

const positiveInt = z.number().int().positive();

const adminConfigSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8282),
    allow_non_loopback: z.boolean().default(false),
    database_url: z.string().min(1).optional(),
    data_dir: z.string().min(1).optional(),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    max_body_bytes: positiveInt.max(1024 * 1024).default(64 * 1024),
    // Failed authentications a source may make per window before it is refused with 429.
    auth_failures: z
      .object({ limit: positiveInt.max(10_000).default(10), window_seconds: positiveInt.max(86_400).default(60) })
      .strict()
      .prefault({}),
    oidc: z
      .object({
        issuer: z.string().min(1),
        audience: z.string().min(1),
        jwks_file: z.string().min(1).optional(),
        jwks_url: z.url({ protocol: /^https?$/ }).optional(),
        role_claim: z.string().min(1).default("capgate_role"),
        tenant_claim: z.string().min(1).default("capgate_tenant"),
        algorithms: z
          .array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]))
          .min(1)
          .default(["RS256", "ES256", "EdDSA"]),
        clock_tolerance_seconds: z.number().int().min(0).max(600).default(30),
      })
      .strict()
      .refine((o) => (o.jwks_file === undefined) !== (o.jwks_url === undefined), "give exactly one of jwks_file or jwks_url")
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!isLoopback(c.host) && !c.allow_non_loopback)
      ctx.addIssue({
        code: "custom",
        path: ["host"],
        message: `${c.host} is not a loopback address; pass --allow-non-loopback to bind it`,
      });
  });

export type AdminConfig = z.infer<typeof adminConfigSchema>;

/** Merges file and flags (flags win) and validates; throws CapgateErrors with one config_error per bad setting. */
export function loadAdminConfig(sources: { file?: string | undefined; flags?: Readonly<Record<string, unknown>> } = {}): AdminConfig {
  const raw: Record<string, unknown> = sources.file === undefined ? {} : readConfigFile(sources.file);
  for (const [k, v] of Object.entries(sources.flags ?? {})) if (v !== undefined) raw[k] = v;
  const parsed = safeParseWorded(adminConfigSchema, raw);
  if (parsed.success) return parsed.data;
  throw new CapgateErrors(
    parsed.error.issues.map((issue) => {
      const path = issue.path.join(".") || "(root)";
      const message = issue.code === "unrecognized_keys" ? `unknown setting(s) ${issue.keys.join(", ")}` : issue.message;
      return new CapgateError("config_error", `${path}: ${message}`, { details: { setting: path } });
    }),
  );
}
