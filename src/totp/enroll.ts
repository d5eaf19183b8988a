// TOTP enrollment on the sidecar, where applications already call:
// POST /mfa/totp/enroll makes a secret (CSPRNG), keeps it encrypted as pending
// on the primary (totp_enrollments, migration 000007) and answers the
// otpauth:// URI and its QR code; POST /mfa/totp/enroll/confirm checks a code
// of that secret under the same lockout and step rules as verification, then,
// in one statement, makes it the user's enrolled secret, drops the pending row
// and writes the audit row. A user already enrolled is refused until an
// administrator resets the enrollment. No secret is logged.
import { z } from "zod";
import { CapgateError } from "../errors.js";
import { principalId } from "../server/http/principal-id.js";
import { fromZod, inputError } from "../server/http/http-error.js";
import { checkCode, loadOtplib, requireConfigured, totpInputSchema, type CodeRefusal, type TotpDeps } from "./verify.js";
import { encryptTotpSecret } from "./secrets.js";
import type { Queryable } from "../primary/index.js";
import type { TotpSubject } from "./store.js";
import { safeParseWorded } from "../zod-wording.js";

/** Bytes of a new secret: 160 bits (RFC 4226's recommendation), more when the configured minimum asks. */
const SECRET_BYTES = 20;

export interface EnrollmentStarted {
  otpauth_uri: string;
  qr_svg: string;
  expires_at: string;
}

export type EnrollmentConfirmed = { enrolled: true } | ({ enrolled: false } & Omit<CodeRefusal, "verified">);

/** The pending and enrolled secrets of users, on the primary. */
export interface TotpEnrollmentStore {
  /** Stores `jwe` as the subject's pending secret; false when the tenant has no such user or the user is enrolled. */
  start(subject: TotpSubject, jwe: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
  /** What stands in the way of an enrollment: unknown user, already enrolled, or nothing. */
  standing(subject: TotpSubject): Promise<"unknown_user" | "already_enrolled" | "may_enroll">;
  pending(subject: TotpSubject): Promise<{ jwe: string; expiresAtMs: number } | null>;
  /** Makes the pending `jwe` the enrolled secret if it is still pending and unexpired; false otherwise. */
  confirm(subject: TotpSubject, jwe: string, nowMs: number): Promise<boolean>;
}

const enrollSchema = z.object({ tenant_id: principalId, user_id: principalId }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = safeParseWorded(schema, body);
  if (!r.success) throw fromZod(r.error, "", body);
  return r.data;
}

function ready(deps: TotpDeps): ReturnType<typeof requireConfigured> & { enrollments: TotpEnrollmentStore } {
  const checked = requireConfigured(deps, "TOTP enrollment");
  if (deps.enrollments === null) throw new CapgateError("not_configured", "TOTP enrollment is not configured: missing database_url", { details: { missing: ["database_url"] } });
  return { ...checked, enrollments: deps.enrollments };
}

function refuse(standing: "unknown_user" | "already_enrolled", subject: TotpSubject): never {
  if (standing === "unknown_user")
    throw inputError("user_id", "unknown_user", `tenant ${JSON.stringify(subject.tenantId)} has no user ${JSON.stringify(subject.userId)}`);
  throw inputError("user_id", "already_enrolled", `user ${JSON.stringify(subject.userId)} is already enrolled in TOTP; an administrator must reset it before a new enrollment`);
}

export async function startEnrollment(deps: TotpDeps, body: unknown): Promise<EnrollmentStarted> {
  const input = parse(enrollSchema, body);
  const { settings, key, enrollments } = ready(deps);
  const subject = { tenantId: input.tenant_id, userId: input.user_id };
  const now = deps.clock();
  const { generateSecret, generateURI } = await loadOtplib();
  const secret = generateSecret({ length: Math.max(SECRET_BYTES, settings.min_secret_bytes) });
  const expiresAtMs = now + settings.enrollment_seconds * 1000;
  // A new start replaces an earlier pending secret: the user may have lost the first QR code.
  if (!(await enrollments.start(subject, await encryptTotpSecret(secret, subject.userId, key), expiresAtMs, now))) {
    const standing = await enrollments.standing(subject);
    refuse(standing === "may_enroll" ? "unknown_user" : standing, subject);
  }
  const otpauthUri = generateURI({ issuer: settings.issuer, label: subject.userId, secret, digits: settings.digits, period: settings.period_seconds });
  // qrcode (with pngjs) is loaded here, on the first enrollment, not at start-up.
  const { default: QRCode } = await import("qrcode");
  const qrSvg = await QRCode.toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { otpauth_uri: otpauthUri, qr_svg: qrSvg, expires_at: new Date(expiresAtMs).toISOString() };
}

export async function confirmEnrollment(deps: TotpDeps, body: unknown): Promise<EnrollmentConfirmed> {
  const input = parse(totpInputSchema(deps.settings.digits), body);
  const configured = ready(deps);
  const { enrollments } = configured;
  const subject = { tenantId: input.tenant_id, userId: input.user_id };
  const now = deps.clock();
  const standing = await enrollments.standing(subject);
  if (standing !== "may_enroll") refuse(standing, subject);
  const pending = await enrollments.pending(subject);
  if (pending === null) throw inputError("user_id", "no_pending_enrollment", `user ${JSON.stringify(subject.userId)} has no enrollment to confirm; start one with POST /mfa/totp/enroll`);
  if (pending.expiresAtMs <= now) throw expired(subject);
  const checked = await checkCode(configured, subject, pending.jwe, input.code, now);
  if (!("accepted" in checked)) {
    const { verified: _, ...refusal } = checked;
    return { enrolled: false, ...refusal };
  }
  if (await enrollments.confirm(subject, pending.jwe, now)) return { enrolled: true };
  // Another confirmation, a new start or an administrator got there between the check and now.
  const after = await enrollments.standing(subject);
  if (after !== "may_enroll") refuse(after, subject);
  throw expired(subject);
}

function expired(subject: TotpSubject): CapgateError {
  return inputError("user_id", "enrollment_expired", `the enrollment of user ${JSON.stringify(subject.userId)} expired or was replaced; start a new one with POST /mfa/totp/enroll`);
}

const START = `
  INSERT INTO totp_enrollments AS e (tenant_id, user_id, secret_jwe, expires_at, created_at)
  SELECT u.tenant_id, u.id, $3, $4::timestamptz, $5::timestamptz
    FROM users u
   WHERE u.id = $2 AND u.tenant_id = $1
     AND NOT EXISTS (SELECT 1 FROM user_capability_state s
                      WHERE s.user_id = u.id AND s.capability_key = 'totp' AND s.status = 'enrolled' AND s.data ? 'secret_jwe')
  ON CONFLICT (tenant_id, user_id) DO UPDATE SET
    secret_jwe = EXCLUDED.secret_jwe, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at
  RETURNING 1 AS ok`;

const STANDING = `
  SELECT coalesce(s.status = 'enrolled' AND s.data ? 'secret_jwe', false) AS enrolled
    FROM users u
    LEFT JOIN user_capability_state s ON s.user_id = u.id AND s.capability_key = 'totp'
   WHERE u.id = $2 AND u.tenant_id = $1`;

const PENDING = `
  SELECT secret_jwe AS jwe, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms
    FROM totp_enrollments WHERE tenant_id = $1 AND user_id = $2`;

/**
 * One statement, so one transaction: the pending row goes, the secret becomes
 * the enrolled one (a legacy mark on the old secret goes with it: this one was
 * made here), and the audit row is written, or nothing is. An enrollment that
 * another confirmation completed meanwhile is not overwritten.
 */
function confirmStatement(audited: boolean): string {
  return `
  WITH pending AS (
    DELETE FROM totp_enrollments
     WHERE tenant_id = $1 AND user_id = $2 AND secret_jwe = $3 AND expires_at > $4::timestamptz
    RETURNING secret_jwe
  ), enrolled AS (
    INSERT INTO user_capability_state AS s (user_id, capability_key, status, data, source)
    SELECT $2, 'totp', 'enrolled', jsonb_build_object('secret_jwe', secret_jwe), 'user' FROM pending
    ON CONFLICT (user_id, capability_key) DO UPDATE SET
      status = 'enrolled',
      data = (s.data - 'jwe_source') || jsonb_build_object('secret_jwe', EXCLUDED.data->>'secret_jwe'),
      source = 'user'
    WHERE NOT (s.status = 'enrolled' AND s.data ? 'secret_jwe')
    RETURNING user_id
  )${
    audited
      ? `, audit AS (
    INSERT INTO admin_audit (actor, action, tenant_id, target, after)
    SELECT 'user:' || $2, 'totp.enroll', $1, 'users/' || $2 || '/totp', '{"status":"enrolled"}'::jsonb FROM enrolled
  )`
      : ""
  }
  SELECT count(*)::int AS n FROM enrolled`;
}

export function primaryTotpEnrollments(db: Queryable): TotpEnrollmentStore {
  const run = async <R extends Record<string, unknown>>(what: string, text: string, params: unknown[]): Promise<R[]> => {
    try {
      return (await db.query<R>(text, params)).rows;
    } catch (e) {
      throw new CapgateError("database_error", `TOTP ${what} failed on the primary: ${(e as Error).message}`, { cause: e });
    }
  };
  const at = (ms: number): string => new Date(ms).toISOString();
  // The audit table comes with the admin API's migration (000008); a primary
  // not there yet enrolls without it. Once seen, it is not looked up again.
  let audited = false;
  const auditTable = async (): Promise<boolean> => {
    if (!audited) audited = (await run<{ ok: boolean }>("audit lookup", `SELECT to_regclass('admin_audit') IS NOT NULL AS ok`, []))[0]?.ok === true;
    return audited;
  };
  return {
    async start({ tenantId, userId }, jwe, expiresAtMs, nowMs) {
      return (await run("enrollment start", START, [tenantId, userId, jwe, at(expiresAtMs), at(nowMs)])).length === 1;
    },
    async standing({ tenantId, userId }) {
      const row = (await run<{ enrolled: boolean }>("enrollment lookup", STANDING, [tenantId, userId]))[0];
      return row === undefined ? "unknown_user" : row.enrolled ? "already_enrolled" : "may_enroll";
    },
    async pending({ tenantId, userId }) {
      const row = (await run<{ jwe: string; expires_ms: number }>("enrollment lookup", PENDING, [tenantId, userId]))[0];
      return row === undefined ? null : { jwe: row.jwe, expiresAtMs: row.expires_ms };
    },
    async confirm({ tenantId, userId }, jwe, nowMs) {
      const rows = await run<{ n: number }>("enrollment confirmation", confirmStatement(await auditTable()), [tenantId, userId, jwe, at(nowMs)]);
      return rows[0]?.n === 1;
    },
  };
}
