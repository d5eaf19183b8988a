-- The system capability catalog. Every tenant receives these values by default
-- (000004); a tenant's own row overrides them.
INSERT INTO capabilities (key, kind, description, default_value, is_system) VALUES
    ('max_token_ttl', 'limit',
     'Longest lifetime, in seconds, of a token issued for the tenant',
     '{"seconds": 3600}', true),
    ('mfa', 'feature',
     'Whether the tenant requires multi-factor authentication before issuing tokens',
     '{"required": false}', true),
    ('totp', 'mfa_method',
     'Time-based one-time passwords (RFC 6238) as an MFA method',
     '{"enabled": true}', true);
