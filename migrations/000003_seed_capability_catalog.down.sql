-- Removes the system catalog entries this version inserted.
DELETE FROM capabilities WHERE key IN ('max_token_ttl', 'mfa', 'totp');
