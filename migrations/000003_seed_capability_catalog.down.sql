-- Removes the system catalog entries this version inserted. Rows that still
-- refer to them (an administrator's, kept by the down of 000004) make this
-- fail on the foreign key rather than silently losing them.
DELETE FROM capabilities WHERE key IN ('max_token_ttl', 'mfa', 'totp');
