-- TOTP hardening and enrollment (issue 14 items 1-3, issue 16 item 4).
--
-- One row per (tenant, user) replaces 000006's per-user tables, so that every
-- rule a verification follows is decided by a single-row statement on the
-- primary, which every sidecar sharing it sees at once:
--   * an attempt is reserved (in_flight + 1) before its code is checked, and
--     only while consecutive_failures + in_flight stays under the threshold,
--     so no burst, on any number of sidecars, checks more codes than that;
--   * last_step is the highest time step ever accepted: a code for that step
--     or an older one is refused (RFC 6238 section 5.2);
--   * the key is (tenant_id, user_id): one tenant's caller never sees or moves
--     another tenant's lockout.
-- No foreign key to users: a row left by a deleted user is harmless.
CREATE TABLE totp_verification_state (
    tenant_id            text        NOT NULL CHECK (tenant_id <> ''),
    user_id              text        NOT NULL CHECK (user_id <> ''),
    consecutive_failures integer     NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    locked_until         timestamptz NULL,
    -- Attempts reserved and not yet settled. A sidecar that dies mid-check
    -- leaves one behind; in_flight_until (the last reservation's expiry) lets
    -- such leftovers lapse instead of holding the user's budget for ever.
    in_flight            integer     NOT NULL DEFAULT 0 CHECK (in_flight >= 0),
    in_flight_until      timestamptz NULL,
    -- Numbers reservations, so a settlement knows whether others came after it.
    attempt_seq          bigint      NOT NULL DEFAULT 0 CHECK (attempt_seq >= 0),
    last_step            bigint      NULL CHECK (last_step >= 0),
    -- The reservation that accepted last_step: tells its owner the claim was its own.
    last_step_seq        bigint      NULL,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

-- What 000006 recorded carries over, keyed by the user's tenant.
INSERT INTO totp_verification_state (tenant_id, user_id, consecutive_failures, locked_until, last_step, updated_at)
SELECT u.tenant_id, u.id, coalesce(f.consecutive_failures, 0), f.locked_until, s.last_step, coalesce(f.updated_at, now())
  FROM users u
  LEFT JOIN totp_failures f ON f.user_id = u.id
  LEFT JOIN (SELECT user_id, max(time_step) AS last_step FROM totp_used_steps GROUP BY user_id) s ON s.user_id = u.id
 WHERE f.user_id IS NOT NULL OR s.user_id IS NOT NULL;

DROP TABLE totp_failures;
DROP TABLE totp_used_steps;

-- A TOTP enrollment started on a sidecar and not yet confirmed with a code:
-- the new secret, encrypted as user_capability_state keeps it. Confirmation
-- moves it there and deletes this row; an expired row is never confirmed and
-- is replaced by the user's next start.
CREATE TABLE totp_enrollments (
    tenant_id  text        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_jwe text        NOT NULL CHECK (secret_jwe <> ''),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
