-- Undoes the data migration: deletes exactly the rows its up writes, that is
-- rows with source 'default' or 'migrated' that still hold the value the up
-- derives from the (untouched) legacy data. Rows an administrator or a user
-- wrote (source 'admin' / 'user'), and rows whose value was changed since,
-- survive. Legacy tables are not touched. The rules function goes too.

-- rules 2 and 3 (capability)
DELETE FROM tenant_capabilities tc
USING tenant_settings ts
WHERE tc.source = 'migrated'
  AND ts.tenant_id = tc.tenant_id
  AND ((tc.capability_key = 'max_token_ttl'
        AND ts.token_ttl_seconds IS NOT NULL
        AND tc.value = jsonb_build_object('seconds', ts.token_ttl_seconds))
    OR (tc.capability_key = 'mfa'
        AND ts.mfa_required
        AND tc.value = '{"required": true}'::jsonb));

-- rule 3 (feature)
DELETE FROM tenant_features tf
USING tenant_settings ts
WHERE tf.source = 'migrated'
  AND tf.feature_key = 'mfa'
  AND tf.enabled
  AND ts.tenant_id = tf.tenant_id
  AND ts.mfa_required;

-- rule 1
DELETE FROM tenant_capabilities tc
USING capabilities c
WHERE tc.source = 'default'
  AND c.key = tc.capability_key
  AND c.is_system
  AND tc.value = c.default_value;

-- rules 4 and 5
DELETE FROM user_capability_state s
USING users u
WHERE s.source = 'migrated'
  AND s.status = 'enrolled'
  AND s.data = '{}'::jsonb
  AND u.id = s.user_id
  AND ((s.capability_key = 'mfa' AND u.mfa_enabled)
    OR (s.capability_key = 'totp' AND btrim(u.mfa_secret) <> ''));

DROP FUNCTION capgate_apply_capability_rules();
