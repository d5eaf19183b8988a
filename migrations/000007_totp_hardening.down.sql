-- Back to the shape of 000006: per-user used steps and failures. Each user's
-- highest used step and failure count carry back; pending enrollments go
-- (their secrets were never confirmed).
DROP TABLE IF EXISTS totp_enrollments;

CREATE TABLE totp_used_steps (
    user_id   text        NOT NULL CHECK (user_id <> ''),
    time_step bigint      NOT NULL CHECK (time_step >= 0),
    used_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, time_step)
);
CREATE INDEX totp_used_steps_used_at_idx ON totp_used_steps (used_at);

CREATE TABLE totp_failures (
    user_id              text        PRIMARY KEY CHECK (user_id <> ''),
    consecutive_failures integer     NOT NULL CHECK (consecutive_failures >= 0),
    locked_until         timestamptz NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

INSERT INTO totp_used_steps (user_id, time_step, used_at)
SELECT user_id, max(last_step), max(updated_at) FROM totp_verification_state
 WHERE last_step IS NOT NULL GROUP BY user_id;

INSERT INTO totp_failures (user_id, consecutive_failures, locked_until, updated_at)
SELECT DISTINCT ON (user_id) user_id, consecutive_failures, locked_until, updated_at
  FROM totp_verification_state
 WHERE consecutive_failures > 0 OR locked_until IS NOT NULL
 ORDER BY user_id, updated_at DESC;

DROP TABLE totp_verification_state;
