-- Status reports of sidecars (POST /status on `capgate admin serve`, modelled on
-- OPA's status API), for the dashboard's fleet view and its plot. Like the
-- admin tables (000008) they stay on the primary: no change-log triggers, so
-- they never reach a replica.

-- The latest report of each sidecar, with the fields the fleet view lists taken
-- out of it; `report` keeps the whole body as received.
CREATE TABLE sidecar_status (
    sidecar_id           text             PRIMARY KEY CHECK (sidecar_id <> '' AND length(sidecar_id) <= 200),
    version              text             NULL,
    policy_revision      text             NULL,
    replica_status       text             NULL,
    replica_version      text             NULL,
    replica_age_seconds  double precision NULL,
    decisions_per_second double precision NOT NULL DEFAULT 0 CHECK (decisions_per_second >= 0),
    deny_rate            double precision NULL CHECK (deny_rate BETWEEN 0 AND 1),
    report               jsonb            NOT NULL CHECK (jsonb_typeof(report) = 'object'),
    -- The name of the admin token the report came with.
    reported_by          text             NOT NULL,
    first_seen           timestamptz      NOT NULL DEFAULT now(),
    last_seen            timestamptz      NOT NULL DEFAULT now()
);

-- Per-minute sums of what the reports counted, per sidecar and decision name,
-- for the last hour's plot: decisions answered, how many were denied, and the
-- seconds of reporting window they cover (so a rate is right for a minute that
-- is only partly reported). Rows older than the plot needs are deleted as new
-- reports arrive.
CREATE TABLE sidecar_status_samples (
    sidecar_id text             NOT NULL REFERENCES sidecar_status (sidecar_id) ON DELETE CASCADE,
    minute     timestamptz      NOT NULL CHECK (minute = date_trunc('minute', minute)),
    decision   text             NOT NULL CHECK (decision <> ''),
    decisions  bigint           NOT NULL CHECK (decisions >= 0),
    denied     bigint           NOT NULL CHECK (denied >= 0 AND denied <= decisions),
    seconds    double precision NOT NULL CHECK (seconds >= 0),
    PRIMARY KEY (sidecar_id, minute, decision)
);
CREATE INDEX sidecar_status_samples_minute_idx ON sidecar_status_samples (minute);
