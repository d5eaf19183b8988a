// The ready-to-paste requests the Quickstart prints once it serves: an allowed
// token whose TTL the tenant's limit clamps, a denial for missing MFA, and a
// TOTP verification of the demo user. Each is a single shell line so a test can
// run exactly what a person would paste.
import { DEMO_TOTP_USER } from "../totp/jobs/index.js";

export interface Scenario {
  title: string;
  /** What the answer shows. */
  expect: string;
  /** Shell lines, in order. */
  lines: string[];
}

/** Shell variable the TOTP request reads its code from. */
export const CODE_VAR = "CODE";

const json = (url: string, body: unknown, quotedBody?: string): string =>
  `curl -s ${url} -H 'content-type: application/json' -d '${quotedBody ?? JSON.stringify(body)}'`;

export function scenarios(url: string, codeCommand: string): Scenario[] {
  const decide = `${url}/decide`;
  const tokenIssue = (methods: string[]) => ({
    decision: "token.issue",
    input: {
      tenant_id: "acme",
      user_id: DEMO_TOTP_USER,
      token_type: "access",
      requested_ttl_seconds: 86400,
      auth: { methods },
    },
  });
  // The code is spliced in by closing the single quotes around "$CODE".
  const totpBody = JSON.stringify({ tenant_id: "acme", user_id: DEMO_TOTP_USER, code: "@@" }).replace(
    '"@@"',
    `"'"$${CODE_VAR}"'"`,
  );
  return [
    {
      title: "allowed: acme caps tokens at 900 s, so the 86400 s request is clamped",
      expect: `"allow":true ... "ttl_seconds":900`,
      lines: [json(decide, tokenIssue(["pwd", "totp"]))],
    },
    {
      title: "denied: acme requires MFA and only a password was presented",
      expect: `"allow":false ... "reasons":["mfa_required"]`,
      lines: [json(decide, tokenIssue(["pwd"]))],
    },
    {
      title: `TOTP: verify ${DEMO_TOTP_USER}'s current code (run both lines; the same code again is refused)`,
      expect: `"verified":true with an assertion, then "code_already_used" on a replay`,
      lines: [`${CODE_VAR}=$(${codeCommand})`, json(`${url}/mfa/totp/verify`, null, totpBody)],
    },
  ];
}
