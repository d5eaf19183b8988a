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
