-- The capability model: a system catalog of capabilities, each tenant's
-- capability values and features, and each user's enrollment state. The
-- `source` columns say who wrote a row: 'default' and 'migrated' rows come
-- from the data migration (000004), 'admin' rows from an administrator, and
-- 'user' enrollment rows from the user. The down of the data migration relies
-- on that to remove only its own rows.

-- Keeps updated_at honest without every writer having to remember it.
CREATE FUNCTION capgate_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE capabilities (
    key           text        PRIMARY KEY
                              CHECK (key IN ('max_token_ttl', 'mfa', 'totp')),
    kind          text        NOT NULL
                              CHECK (kind IN ('limit', 'feature', 'mfa_method')),
    description   text        NOT NULL,
    default_value jsonb       NOT NULL CHECK (jsonb_typeof(default_value) = 'object'),
    -- System capabilities are given to every tenant by default.
    is_system     boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_capabilities (
    tenant_id      text        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    capability_key text        NOT NULL REFERENCES capabilities (key),
    value          jsonb       NOT NULL,
    source         text        NOT NULL CHECK (source IN ('default', 'migrated', 'admin')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, capability_key),
    -- Decisions read these values; a malformed one must never reach them.
    -- CASE (not AND) so a cast is only attempted on a value of the right type.
    CONSTRAINT tenant_capabilities_value_shape CHECK (
        jsonb_typeof(value) = 'object' AND
        CASE capability_key
            WHEN 'max_token_ttl' THEN
                CASE WHEN jsonb_typeof(value -> 'seconds') = 'number'
                     THEN (value ->> 'seconds')::numeric > 0
                          AND (value ->> 'seconds')::numeric = trunc((value ->> 'seconds')::numeric)
                     ELSE false END
            WHEN 'mfa' THEN jsonb_typeof(value -> 'required') = 'boolean'
            ELSE true
        END
    )
);

CREATE TABLE tenant_features (
    tenant_id   text        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    feature_key text        NOT NULL CHECK (feature_key IN ('mfa')),
    enabled     boolean     NOT NULL,
    source      text        NOT NULL CHECK (source IN ('default', 'migrated', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, feature_key)
);

CREATE TABLE user_capability_state (
    user_id        text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    capability_key text        NOT NULL REFERENCES capabilities (key)
                               CHECK (capability_key IN ('mfa', 'totp')),
    status         text        NOT NULL CHECK (status IN ('pending', 'enrolled', 'revoked')),
    data           jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
    source         text        NOT NULL CHECK (source IN ('migrated', 'admin', 'user')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, capability_key)
);

CREATE TRIGGER capabilities_touch_updated_at BEFORE UPDATE ON capabilities
    FOR EACH ROW EXECUTE FUNCTION capgate_touch_updated_at();
CREATE TRIGGER tenant_capabilities_touch_updated_at BEFORE UPDATE ON tenant_capabilities
    FOR EACH ROW EXECUTE FUNCTION capgate_touch_updated_at();
CREATE TRIGGER tenant_features_touch_updated_at BEFORE UPDATE ON tenant_features
    FOR EACH ROW EXECUTE FUNCTION capgate_touch_updated_at();
CREATE TRIGGER user_capability_state_touch_updated_at BEFORE UPDATE ON user_capability_state
    FOR EACH ROW EXECUTE FUNCTION capgate_touch_updated_at();
