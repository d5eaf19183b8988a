-- The data migration: moves legacy tenant settings and user MFA enrollment into
-- the capability model, for every existing tenant and user.
--
--   rule 1  every tenant gets each system capability at its catalog default
--           (source 'default');
--   rule 2  tenant_settings.token_ttl_seconds, when set, becomes the tenant's
--           max_token_ttl {"seconds": N} (source 'migrated');
--   rule 3  tenant_settings.mfa_required = true becomes mfa {"required": true}
--           (source 'migrated') and enables feature 'mfa' for the tenant;
--   rule 4  users with mfa_enabled = true are enrolled in capability 'mfa';
--   rule 5  users with a (non-blank) mfa_secret are enrolled in 'totp'.
--
-- Rules 2 and 3 run before rule 1 so that, with ON CONFLICT DO NOTHING, a
-- migrated setting wins over the default. Every statement is set-based and
-- skips rows that already exist, so a second run changes nothing and a row an
-- administrator wrote first is never overwritten. Legacy tables are only read.
-- Enrollment rows carry data '{}': the TOTP secret stays in users.mfa_secret.
--
-- The rules live in a function so that legacy rows written after this
-- migration (the demo seed, a legacy application still running) can be
-- brought over the same way: SELECT capgate_apply_capability_rules();

CREATE OR REPLACE FUNCTION capgate_apply_capability_rules() RETURNS void
LANGUAGE sql AS $$
    -- rule 2
    INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
    SELECT ts.tenant_id, 'max_token_ttl', jsonb_build_object('seconds', ts.token_ttl_seconds), 'migrated'
    FROM tenant_settings ts
    WHERE ts.token_ttl_seconds IS NOT NULL
    ON CONFLICT (tenant_id, capability_key) DO NOTHING;

    -- rule 3 (capability)
    INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
    SELECT ts.tenant_id, 'mfa', '{"required": true}'::jsonb, 'migrated'
    FROM tenant_settings ts
    WHERE ts.mfa_required
    ON CONFLICT (tenant_id, capability_key) DO NOTHING;

    -- rule 3 (feature)
    INSERT INTO tenant_features (tenant_id, feature_key, enabled, source)
    SELECT ts.tenant_id, 'mfa', true, 'migrated'
    FROM tenant_settings ts
    WHERE ts.mfa_required
    ON CONFLICT (tenant_id, feature_key) DO NOTHING;

    -- rule 1
    INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source)
    SELECT t.id, c.key, c.default_value, 'default'
    FROM tenants t
    CROSS JOIN capabilities c
    WHERE c.is_system
    ON CONFLICT (tenant_id, capability_key) DO NOTHING;

    -- rule 4
    INSERT INTO user_capability_state (user_id, capability_key, status, data, source)
    SELECT u.id, 'mfa', 'enrolled', '{}'::jsonb, 'migrated'
    FROM users u
    WHERE u.mfa_enabled
    ON CONFLICT (user_id, capability_key) DO NOTHING;

    -- rule 5
    INSERT INTO user_capability_state (user_id, capability_key, status, data, source)
    SELECT u.id, 'totp', 'enrolled', '{}'::jsonb, 'migrated'
    FROM users u
    WHERE btrim(u.mfa_secret) <> ''
    ON CONFLICT (user_id, capability_key) DO NOTHING;
$$;

-- Bulk load: a foreign key checked row by row costs a lookup and a row lock
-- on the referenced tenant or user for each of the ~1M rows written; checked
-- once when re-added it is a single join. The constraints come back exactly
-- as 000002 created them, in this same transaction, so no one ever sees the
-- tables without them.
ALTER TABLE tenant_capabilities
    DROP CONSTRAINT tenant_capabilities_tenant_id_fkey,
    DROP CONSTRAINT tenant_capabilities_capability_key_fkey;
ALTER TABLE tenant_features
    DROP CONSTRAINT tenant_features_tenant_id_fkey;
ALTER TABLE user_capability_state
    DROP CONSTRAINT user_capability_state_user_id_fkey,
    DROP CONSTRAINT user_capability_state_capability_key_fkey;

SELECT capgate_apply_capability_rules();

ALTER TABLE tenant_capabilities
    ADD CONSTRAINT tenant_capabilities_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    ADD CONSTRAINT tenant_capabilities_capability_key_fkey
        FOREIGN KEY (capability_key) REFERENCES capabilities (key);
ALTER TABLE tenant_features
    ADD CONSTRAINT tenant_features_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
ALTER TABLE user_capability_state
    ADD CONSTRAINT user_capability_state_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT user_capability_state_capability_key_fkey
        FOREIGN KEY (capability_key) REFERENCES capabilities (key);
