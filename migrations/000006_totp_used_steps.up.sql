-- TOTP bookkeeping shared by every sidecar of a primary. A code is accepted at
-- most once per user: a sidecar accepts it only if it can insert its time step
-- here, and the primary key makes the second insert (from any sidecar) a no-op.
-- Consecutive failures and the lockout live beside it for the same reason: a
-- lockout must hold whichever sidecar the next attempt reaches.
-- No foreign key to users: the sidecar knows users from its replica, and a row
-- left by a deleted user is harmless (pruned with the old steps).
CREATE TABLE totp_used_steps (
    user_id   text        NOT NULL CHECK (user_id <> ''),
    time_step bigint      NOT NULL CHECK (time_step >= 0),
    used_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, time_step)
);
-- Steps older than the verification window can be deleted by age.
CREATE INDEX totp_used_steps_used_at_idx ON totp_used_steps (used_at);

CREATE TABLE totp_failures (
    user_id              text        PRIMARY KEY CHECK (user_id <> ''),
    consecutive_failures integer     NOT NULL CHECK (consecutive_failures >= 0),
    locked_until         timestamptz NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
