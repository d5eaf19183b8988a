// POST /mfa/totp/verify: checks a TOTP code with otplib against the user's
// decrypted secret, under rules kept on the primary per (tenant, user): an
// attempt is reserved before its code is checked (at most lockout_threshold
// codes are ever in check or failed before a lockout), each code is accepted
// at most once and never after a newer one, and consecutive failures lock the
// user out. On success it returns a signed assertion. Time comes from an
// injected clock.
import { timingSafeEqual } from "node:crypto";
import type { OTPGuardrails } from "otplib";
import { z } from "zod";
import { CapgateError, isCapgateError } from "../errors.js";
import type { AssertionSigner } from "./assertion.js";
import { fromZod } from "../server/http/http-error.js";
import { principalId } from "../server/http/principal-id.js";
import { decryptTotpSecret, type TotpSecretSource } from "./secrets.js";
import type { TotpEnrollmentStore } from "./enroll.js";
import type { Lockout, TotpStore, TotpSubject } from "./store.js";
import { safeParseWorded } from "../zod-wording.js";

export interface TotpSettings {
  window: number;
  period_seconds: number;
  digits: 6 | 7 | 8;
  lockout_threshold: number;
  lockout_seconds: number;
  /** The shortest usable secret, in bytes (otplib's default is 16). */
  min_secret_bytes: number;
  /** How long a started enrollment may be confirmed. */
  enrollment_seconds: number;
  /** The issuer an authenticator app shows beside an enrolled account. */
  issuer: string;
}

let otplib: Promise<typeof import("otplib")> | undefined;

/** otplib, loaded on first use: a sidecar that never checks or makes a TOTP code does not pay for it at start-up. */
export function loadOtplib(): Promise<typeof import("otplib")> {
  return (otplib ??= import("otplib"));
}

/** otplib's default shortest secret, known without loading otplib (a test holds it equal to createGuardrails()'s). */
export const OTPLIB_MIN_SECRET_BYTES = 16;

const guardrailsByMinimum = new Map<number, OTPGuardrails>();

/** otplib's limits with capgate's shortest secret; the same for verification and for encrypt-secrets. */
export async function secretGuardrails(minSecretBytes = OTPLIB_MIN_SECRET_BYTES): Promise<OTPGuardrails> {
  let g = guardrailsByMinimum.get(minSecretBytes);
  if (g === undefined) {
    g = (await loadOtplib()).createGuardrails({ MIN_SECRET_BYTES: minSecretBytes });
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
  enrollments: TotpEnrollmentStore | null;
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
      tenant_id: principalId,
      user_id: principalId,
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

export type CodeRefusal = Extract<TotpOutcome, { verified: false }>;

/** Everything checkCode needs besides the code: configured, so not nullable. */
export interface CodeChecker {
  settings: TotpSettings;
  key: Uint8Array;
  store: TotpStore;
}

/**
 * Checks `code` against the encrypted secret `jwe` of `subject` at `now`, under
 * the lockout and step rules shared by verification and enrollment. A code of
 * a step already used (or older) is refused first, compared only with those
 * dead steps' codes, so a double submit costs nothing; any other code is
 * checked only under an attempt reserved on the primary beforehand, and the
 * attempt is settled (failure, accepted step, late replay) afterwards.
 */
export async function checkCode(
  checker: CodeChecker,
  subject: TotpSubject,
  jwe: string,
  code: string,
  now: number,
): Promise<{ accepted: true } | CodeRefusal> {
  const { settings, key, store } = checker;
  const [secret, lastStep, guardrails, { generate: generateOtp, verify: verifyOtp }] = await Promise.all([
    decryptTotpSecret(jwe, subject.userId, key),
    store.lastStep(subject),
    secretGuardrails(settings.min_secret_bytes),
    loadOtplib(),
  ]);
  const options = { secret, period: settings.period_seconds, digits: settings.digits, guardrails };
  const currentStep = Math.floor(now / 1000 / settings.period_seconds);
  try {
    // Knowing that a code was a used one reveals nothing about any code still usable.
    if (lastStep !== null)
      for (let step = currentStep - settings.window; step <= Math.min(lastStep, currentStep + settings.window); step++)
        if (sameCode(await generateOtp({ ...options, epoch: step * settings.period_seconds }), code))
          return { verified: false, reason: "code_already_used" };
    const rules = { threshold: settings.lockout_threshold, lockoutSeconds: settings.lockout_seconds };
    const reservation = await store.reserve(subject, now, rules);
    if (!reservation.granted) return lockedOut(reservation.lockout, now);
    const result = await verifyOtp({ ...options, token: code, epoch: Math.floor(now / 1000), epochTolerance: settings.window * settings.period_seconds }).catch(
      async (e: unknown) => {
        await store.release(subject, now);
        throw e;
      },
    );
    // The TOTP strategy always reports the matched step; without one a code cannot be made single-use.
    if (!result.valid || !("timeStep" in result)) {
      const after = await store.settleFailure(subject, now, rules);
      return after.lockedUntilMs !== null && after.lockedUntilMs > now ? lockedOut(after, now) : { verified: false, reason: "invalid_code" };
    }
    // Accepted only if no sidecar has used this step or a newer one meanwhile (RFC 6238 section 5.2).
    if (!(await store.settleMatch(subject, reservation.seq, result.timeStep, now))) return { verified: false, reason: "code_already_used" };
    return { accepted: true };
  } catch (e) {
    if (isCapgateError(e)) throw e;
    // otplib refuses a secret it cannot use (not base32, or outside min_secret_bytes..64
    // bytes, e.g. a legacy 80-bit one under the default minimum of 16). That is the
    // stored data's fault, not the caller's: no failure is counted, and otplib's
    // message, which may quote the secret, is not passed on.
    return { verified: false, reason: "secret_unusable" };
  }
}

function sameCode(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function lockedOut(lockout: Lockout, now: number): CodeRefusal {
  // Not locked, but the attempts in flight use up the budget: they settle in moments.
  const until = lockout.lockedUntilMs !== null && lockout.lockedUntilMs > now ? lockout.lockedUntilMs : now + 1000;
  return { verified: false, reason: "locked_out", retry_after_seconds: Math.ceil((until - now) / 1000) };
}

/** Throws not_configured unless every part verification needs is there. */
export function requireConfigured(deps: TotpDeps, what: string): CodeChecker & { secrets: TotpSecretSource; signer: AssertionSigner } {
  const { settings, key, secrets, store, signer } = deps;
  if (deps.missing.length > 0 || key === null || secrets === null || store === null || signer === null)
    throw new CapgateError("not_configured", `${what} is not configured: missing ${deps.missing.join(", ")}`, {
      details: { missing: deps.missing },
    });
  return { settings, key, secrets, store, signer };
}

export async function verifyTotp(deps: TotpDeps, input: TotpInput): Promise<TotpOutcome> {
  const ready = requireConfigured(deps, "TOTP verification");
  const now = deps.clock();
  const subject = { tenantId: input.tenant_id, userId: input.user_id };
  // Known users only reach the attempt counters: a guessed name leaves no row behind.
  const stored = await ready.secrets.lookup(subject.tenantId, subject.userId);
  if (stored === null) return { verified: false, reason: "unknown_user" };
  if (stored.jwe === null) return { verified: false, reason: "not_enrolled" };
  const checked = await checkCode(ready, subject, stored.jwe, input.code, now);
  if (!("accepted" in checked)) return checked;
  const assertion = await ready.signer.sign({ sub: input.user_id, tenant_id: input.tenant_id }, now);
  return { verified: true, assertion, expires_in: deps.assertionTtlSeconds };
}
