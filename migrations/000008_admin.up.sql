-- The admin API's own tables (`capgate admin serve`): bearer tokens (only a
-- SHA-256 of each token is stored), the append-only audit trail, and staged
-- rollouts with the rows each one wrote. None of them has change-log triggers
-- (000005): they stay on the primary and never reach a sidecar's replica.

CREATE TABLE admin_tokens (
    id         text        PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{4,64}$'),
    name       text        NOT NULL CHECK (name <> ''),
    role       text        NOT NULL CHECK (role IN ('operator', 'tenant-admin', 'viewer', 'sidecar')),
    tenant_id  text        NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Hex SHA-256 of the token; the token itself is shown once and never stored.
    token_hash text        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz NULL,
    -- A tenant administrator is always bound to its tenant; an operator never is.
    CONSTRAINT admin_tokens_role_tenant CHECK (
        (role = 'tenant-admin' AND tenant_id IS NOT NULL) OR
        (role IN ('operator', 'sidecar') AND tenant_id IS NULL) OR
        role = 'viewer'
    )
);
-- The audit trail names an actor by its token's name, so live names are unique.
CREATE UNIQUE INDEX admin_tokens_live_name_idx ON admin_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE admin_audit (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,
    action     text        NOT NULL,
    tenant_id  text        NULL,
    target     text        NOT NULL,
    before     jsonb       NULL,
    after      jsonb       NULL,
    request_id text        NULL
);
CREATE INDEX admin_audit_tenant_idx ON admin_audit (tenant_id, id);
CREATE INDEX admin_audit_actor_idx ON admin_audit (actor, id);
CREATE INDEX admin_audit_at_idx ON admin_audit (at);

-- Append-only: no writer, however privileged its SQL, rewrites history.
CREATE FUNCTION capgate_admin_audit_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER admin_audit_no_update BEFORE UPDATE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION capgate_admin_audit_refuse();
CREATE TRIGGER admin_audit_no_delete BEFORE DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION capgate_admin_audit_refuse();
CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION capgate_admin_audit_refuse();

-- A staged rollout of one capability value or feature state. current_stage
-- counts the stages applied so far (0: none yet).
CREATE TABLE admin_rollouts (
    id            text        PRIMARY KEY,
    target_kind   text        NOT NULL CHECK (target_kind IN ('capability', 'feature')),
    target_key    text        NOT NULL,
    value         jsonb       NOT NULL CHECK (jsonb_typeof(value) = 'object'),
    stages        integer[]   NOT NULL CHECK (cardinality(stages) > 0),
    allow_tenants text[]      NOT NULL DEFAULT '{}',
    deny_tenants  text[]      NOT NULL DEFAULT '{}',
    current_stage integer     NOT NULL DEFAULT 0 CHECK (current_stage >= 0 AND current_stage <= cardinality(stages)),
    status        text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'rolled_back')),
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every tenant row a rollout wrote: what was there before (NULL: no row), and
-- when the rollout wrote it, so a rollback restores only rows nobody changed since.
CREATE TABLE admin_rollout_rows (
    rollout_id    text        NOT NULL REFERENCES admin_rollouts (id) ON DELETE CASCADE,
    tenant_id     text        NOT NULL,
    stage         integer     NOT NULL CHECK (stage >= 1),
    before_value  jsonb       NULL,
    before_source text        NULL,
    written_at    timestamptz NOT NULL,
    -- Set by the rollback: 'restored', or 'kept' when an administrator changed the row meanwhile.
    outcome       text        NULL CHECK (outcome IN ('restored', 'kept')),
    PRIMARY KEY (rollout_id, tenant_id)
);
