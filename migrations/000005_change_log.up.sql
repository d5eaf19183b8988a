-- The change feed that sidecars follow (`capgate sync`). Every write to a table
-- the replica mirrors adds rows here in the same transaction, so a change and
-- its log entry commit or vanish together.
--
-- Why an advisory lock: a plain sequence hands out numbers in call order, not
-- commit order, so a follower that has read seq 11 could later miss a slower
-- transaction's seq 10. Writers of mirrored tables take one transaction-scoped
-- lock before touching rows (BEFORE STATEMENT) and hold it to commit; commits,
-- and with them sequence numbers, then become visible in order, and "everything
-- above my watermark" is always the complete set of newer changes.
CREATE SEQUENCE capgate_change_log_seq;

CREATE TABLE capgate_change_log (
    seq        bigint      PRIMARY KEY DEFAULT nextval('capgate_change_log_seq'),
    table_name text        NOT NULL,
    -- U: the row now has these values (insert or update); D: the row with this
    -- key is gone; T: the table was truncated.
    op         char(1)     NOT NULL CHECK (op IN ('U', 'D', 'T')),
    row_data   jsonb       NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE capgate_change_log_seq OWNED BY capgate_change_log.seq;

-- One row: the highest sequence number `capgate sync prune` has removed. A
-- follower whose watermark is below it has lost changes and needs a snapshot.
CREATE TABLE capgate_change_log_state (
    id             boolean     PRIMARY KEY DEFAULT true CHECK (id),
    pruned_through bigint      NOT NULL DEFAULT 0,
    pruned_at      timestamptz NULL
);
INSERT INTO capgate_change_log_state DEFAULT VALUES;

CREATE FUNCTION capgate_change_log_lock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7365727061746531);
    RETURN NULL;
END;
$$;

-- Statement-level with transition tables so a bulk write costs one INSERT ...
-- SELECT, not one call per row. TG_ARGV holds the table's key columns; an
-- UPDATE logs a delete for an old key only when the key itself changed.
-- users.mfa_secret never enters the log: the replica must not hold it.
CREATE FUNCTION capgate_change_log_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    key_match text := '';
    col text;
    last_seq bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7365727061746531);
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO capgate_change_log (table_name, op, row_data) VALUES (TG_TABLE_NAME, 'T', '{}');
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO capgate_change_log (table_name, op, row_data)
            SELECT TG_TABLE_NAME, 'D', to_jsonb(o) - 'mfa_secret' FROM old_rows o;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO capgate_change_log (table_name, op, row_data)
            SELECT TG_TABLE_NAME, 'U', to_jsonb(n) - 'mfa_secret' FROM new_rows n;
    ELSE
        FOREACH col IN ARRAY TG_ARGV LOOP
            key_match := key_match || CASE WHEN key_match = '' THEN '' ELSE ' AND ' END
                || format('n.%1$I = o.%1$I', col);
        END LOOP;
        EXECUTE format(
            'INSERT INTO capgate_change_log (table_name, op, row_data)
                 SELECT %1$L, ''D'', to_jsonb(o) - ''mfa_secret'' FROM old_rows o
                 WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE %2$s)', TG_TABLE_NAME, key_match);
        INSERT INTO capgate_change_log (table_name, op, row_data)
            SELECT TG_TABLE_NAME, 'U', to_jsonb(n) - 'mfa_secret' FROM new_rows n;
    END IF;
    SELECT max(seq) INTO last_seq FROM capgate_change_log;
    -- Delivered at commit only; followers also poll, so a lost one costs latency, not data.
    PERFORM pg_notify('capgate_changes', coalesce(last_seq, 0)::text);
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    t record;
    args text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('tenants', ARRAY['id']),
        ('users', ARRAY['id']),
        ('capabilities', ARRAY['key']),
        ('tenant_capabilities', ARRAY['tenant_id', 'capability_key']),
        ('tenant_features', ARRAY['tenant_id', 'feature_key']),
        ('user_capability_state', ARRAY['user_id', 'capability_key'])
    ) AS v(name, keys) LOOP
        SELECT string_agg(quote_literal(k), ', ') INTO args FROM unnest(t.keys) AS k;
        EXECUTE format('CREATE TRIGGER %1$I BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %2$I
            FOR EACH STATEMENT EXECUTE FUNCTION capgate_change_log_lock()', t.name || '_change_log_lock', t.name);
        EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION capgate_change_log_capture(%3$s)', t.name || '_change_log_ins', t.name, args);
        EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION capgate_change_log_capture(%3$s)', t.name || '_change_log_upd', t.name, args);
        EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON %2$I REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION capgate_change_log_capture(%3$s)', t.name || '_change_log_del', t.name, args);
        EXECUTE format('CREATE TRIGGER %1$I AFTER TRUNCATE ON %2$I
            FOR EACH STATEMENT EXECUTE FUNCTION capgate_change_log_capture(%3$s)', t.name || '_change_log_trunc', t.name, args);
    END LOOP;
END;
$$;
