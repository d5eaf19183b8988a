// Writes on the primary touching every table the replica mirrors (insert,
// update and delete each), shared by the change-feed follower's tests and the
// NATS fleet's, which must see the same changes arrive.

/** Changes on every mirrored table: insert, update and delete. */
export const MIRRORED_EDITS: readonly string[] = [
  "INSERT INTO tenants (id, name) VALUES ('tn', 'New tenant')",
  "UPDATE tenants SET name = 'Renamed' WHERE id = 't1'",
  "INSERT INTO users (id, tenant_id, email, mfa_secret) VALUES ('un', 'tn', 'n@example.com', 'SECRETSECRET')",
  "UPDATE users SET mfa_enabled = true, email = NULL WHERE id = 'u1'",
  "INSERT INTO tenant_capabilities (tenant_id, capability_key, value, source) VALUES ('tn', 'max_token_ttl', '{\"seconds\": 60}', 'admin')",
  "UPDATE tenant_capabilities SET value = '{\"seconds\": 90}' WHERE tenant_id = 't1' AND capability_key = 'max_token_ttl'",
  "DELETE FROM tenant_capabilities WHERE tenant_id = 't2' AND capability_key = 'mfa'",
  "INSERT INTO tenant_features (tenant_id, feature_key, enabled, source) VALUES ('tn', 'mfa', true, 'admin')",
  "UPDATE tenant_features SET enabled = NOT enabled WHERE tenant_id = 't3'",
  "DELETE FROM tenant_features WHERE tenant_id = 't4'",
  "INSERT INTO user_capability_state (user_id, capability_key, status, data, source) VALUES ('un', 'totp', 'enrolled', '{\"k\": 1}', 'user')",
  "UPDATE user_capability_state SET status = 'revoked' WHERE user_id = 'u2'",
  "DELETE FROM user_capability_state WHERE user_id = 'u4'",
  "UPDATE capabilities SET description = 'changed' WHERE key = 'totp'",
  "DELETE FROM users WHERE id = 'u3'",
  // Cascades: the users' capability states and the tenant's capabilities go too.
  "DELETE FROM users WHERE tenant_id = 't4'",
  "DELETE FROM tenants WHERE id = 't4'",
];
