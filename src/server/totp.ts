// POST /mfa/totp/verify: checks a TOTP code with otplib against the user's
// decrypted secret, accepts each code at most once (the time step is claimed on
// the primary), counts consecutive failures into a lockout, and on success
// returns a signed assertion. Time comes from an injected clock.
import { createGuardrails, type OTPGuardrails, verify as verifyOtp } from "otplib";
import { z } from "zod";
import { CapgateError } from "../errors.js";
import type { AssertionSigner } from "./assertion.js";
import { fromZod } from "./decisions.js";
import { decryptTotpSecret, type TotpSecretSource } from "./totp-secrets.js";
import type { TotpStore } from "./totp-store.js";
import { safeParseWorded } from "../zod-wording.js";

export interface TotpSettings {
  window: number;
  period_seconds: number;
  digits: 6 | 7 | 8;
  lockout_threshold: number;
  lockout_seconds: number;
  /** The shortest usable secret, in bytes (otplib's default is 16). */
  min_secret_bytes: number;
}

const DEFAULT_LIMITS = createGuardrails();
const guardrailsByMinimum = new Map<number, OTPGuardrails>([[DEFAULT_LIMITS.MIN_SECRET_BYTES, DEFAULT_LIMITS]]);

/** otplib's limits with capgate's shortest secret; the same for verification and for encrypt-secrets. */
export function secretGuardrails(minSecretBytes = DEFAULT_LIMITS.MIN_SECRET_BYTES): OTPGuardrails {
  let g = guardrailsByMinimum.get(minSecretBytes);
  if (g === undefined) {
    g = createGuardrails({ MIN_SECRET_BYTES: minSecretBytes });
    guardrailsByMinimum.set(minSecretBytes, g);
  }
  return g;
}

export interface TotpDeps {
  settings: TotpSettings;
  /** What is missing for verification to work; empty when everything is configured. */
  missing: string[];
  key: Uint8Array | null;
  secrets: TotpSecretSource | null;
  store: TotpStore | null;
  signer: AssertionSigner | null;
  assertionTtlSeconds: number;
  clock: () => number;
}

export type TotpOutcome =
  | { verified: true; assertion: string; expires_in: number }
  | {
      verified: false;
      reason: "invalid_code" | "code_already_used" | "locked_out" | "not_enrolled" | "unknown_user" | "secret_unusable";
      retry_after_seconds?: number;
    };

export function totpInputSchema(digits: number) {
  return z
    .object({
      tenant_id: z.string().min(1).max(256),
      user_id: z.string().min(1).max(256),
      code: z.string().regex(new RegExp(`^\\d{${digits}}$`), `must be a string of ${digits} digits`),
    })
    .strict();
}

export type TotpInput = z.infer<ReturnType<typeof totpInputSchema>>;

export function parseTotpInput(body: unknown, digits: number): TotpInput {
  const r = safeParseWorded(totpInputSchema(digits), body);
  if (!r.success) throw fromZod(r.error, "", body);
  return r.data;
}

export async function verifyTotp(deps: TotpDeps, input: TotpInput): Promise<TotpOutcome> {
  const { settings, key, secrets, store, signer } = deps;
  if (deps.missing.length > 0 || key === null || secrets === null || store === null || signer === null)
    throw new CapgateError("not_configured", `TOTP verification is not configured: missing ${deps.missing.join(", ")}`, {
      details: { missing: deps.missing },
    });
  const now = deps.clock();
  const { user_id: userId } = input;

  const before = await store.lockout(userId);
  if (before.lockedUntilMs !== null && before.lockedUntilMs > now)
    return { verified: false, reason: "locked_out", retry_after_seconds: Math.ceil((before.lockedUntilMs - now) / 1000) };

  const stored = await secrets.lookup(userId);
  if (stored === null || stored.tenantId !== input.tenant_id) return { verified: false, reason: "unknown_user" };
  if (stored.jwe === null) return { verified: false, reason: "not_enrolled" };
  const secret = await decryptTotpSecret(stored.jwe, userId, key);

  let result: Awaited<ReturnType<typeof verifyOtp>>;
  try {
    result = await verifyOtp({
      secret,
      token: input.code,
      epoch: Math.floor(now / 1000),
      epochTolerance: settings.window * settings.period_seconds,
      period: settings.period_seconds,
      digits: settings.digits,
      guardrails: secretGuardrails(settings.min_secret_bytes),
    });
  } catch {
    // otplib refuses a secret it cannot use (not base32, or outside min_secret_bytes..64
    // bytes, e.g. a legacy 80-bit one under the default minimum of 16). That is the
    // stored data's fault, not the caller's: no failure is counted, and otplib's
    // message, which may quote the secret, is not passed on.
    return { verified: false, reason: "secret_unusable" };
  }
  const fail = async (reason: "invalid_code" | "code_already_used"): Promise<TotpOutcome> => {
    const after = await store.recordFailure(userId, now, settings.lockout_threshold, settings.lockout_seconds);
    if (after.lockedUntilMs !== null && after.lockedUntilMs > now)
      return { verified: false, reason: "locked_out", retry_after_seconds: Math.ceil((after.lockedUntilMs - now) / 1000) };
    return { verified: false, reason };
  };
  // The TOTP strategy always reports the matched step; without one a code cannot be made single-use.
  if (!result.valid || !("timeStep" in result)) return fail("invalid_code");
  // The claim is what makes a code single-use across sidecars: only one insert of
  // (user, step) succeeds on the primary.
  if (!(await store.claimStep(userId, result.timeStep, now))) return fail("code_already_used");
  await store.clearFailures(userId);
  const assertion = await signer.sign({ sub: userId, tenant_id: input.tenant_id }, now);
  return { verified: true, assertion, expires_in: deps.assertionTtlSeconds };
}
