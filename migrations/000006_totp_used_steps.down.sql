-- Removes the TOTP bookkeeping tables of 000006; no other data depends on them.
DROP TABLE IF EXISTS totp_failures;
DROP TABLE IF EXISTS totp_used_steps;
