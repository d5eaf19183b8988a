-- Removes the change feed: its triggers, functions and tables. Followers of
-- this primary need a snapshot after the next up.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'users', 'capabilities', 'tenant_capabilities', 'tenant_features', 'user_capability_state'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_change_log_lock', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_change_log_ins', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_change_log_upd', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_change_log_del', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_change_log_trunc', t);
    END LOOP;
END;
$$;
DROP FUNCTION capgate_change_log_capture();
DROP FUNCTION capgate_change_log_lock();
DROP TABLE capgate_change_log_state;
DROP TABLE capgate_change_log;
