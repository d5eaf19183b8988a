-- Removes the comment 000009 put on the change log; nothing else was added.
COMMENT ON TABLE capgate_change_log IS NULL;
