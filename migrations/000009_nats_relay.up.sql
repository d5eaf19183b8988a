-- The NATS relay (`capgate relay`) needs nothing new in the primary: it reads
-- the change log exactly as `capgate sync --follow` does, and keeps its
-- position in the JetStream stream itself (the last message's change id), so
-- a restarted or second relay never depends on state here. This migration
-- records who reads the log and keeps the version numbers contiguous.
COMMENT ON TABLE capgate_change_log IS
    'Change feed of the mirrored tables, read by capgate sync --follow and by capgate relay (which publishes it to NATS JetStream)';
