// The keys under which capgate keeps secrets in its data (a user's TOTP secret,
// in clear in legacy rows or encrypted as a JWE), and the one scrubber that
// removes them. The replica's fact lookups, the sidecar's policy input and the
// admin API's answers all leave them out by this list; the decision log masks
// them too, beside the request fields that carry credentials.

/** Data keys that must never reach a policy input, an API answer or a log line. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(["secret", "secret_jwe", "mfa_secret", "totp_secret"]);

/** Removes every SECRET_KEYS member, at any depth, from a parsed JSON value. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== "object" || value === null) return value;
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_KEYS.has(k)) clean[k] = withoutSecrets(v);
  return clean;
}
