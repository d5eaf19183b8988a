-- Removes the admin API's tables. The audit trail goes with them: export it first.
DROP TABLE admin_rollout_rows;
DROP TABLE admin_rollouts;
DROP TABLE admin_audit;
DROP FUNCTION capgate_admin_audit_refuse();
DROP TABLE admin_tokens;
