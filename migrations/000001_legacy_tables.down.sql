-- Drops the legacy schema (and with it every legacy row): only meaningful on a
-- primary that this migration created.
DROP TABLE users;
DROP TABLE tenant_settings;
DROP TABLE tenants;
