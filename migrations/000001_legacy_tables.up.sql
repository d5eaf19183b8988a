-- The legacy schema that predates the capability model: tenants, their
-- per-tenant settings, and users. capgate creates it so a fresh primary (and
-- the embedded one) has the same shape as an existing installation; on a
-- primary where these tables already exist, mark this version applied with
-- `capgate migrate force 1` instead of running it.
CREATE TABLE tenants (
    id         text        PRIMARY KEY CHECK (id <> ''),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_settings (
    tenant_id         text        PRIMARY KEY REFERENCES tenants (id),
    -- NULL means "no tenant-specific limit" (the system default applies).
    token_ttl_seconds integer     NULL CHECK (token_ttl_seconds IS NULL OR token_ttl_seconds > 0),
    mfa_required      boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          text        PRIMARY KEY CHECK (id <> ''),
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    email       text        NULL,
    mfa_enabled boolean     NOT NULL DEFAULT false,
    mfa_secret  text        NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Foreign-key lookups and "users of a tenant" listings.
CREATE INDEX users_tenant_id_idx ON users (tenant_id);
