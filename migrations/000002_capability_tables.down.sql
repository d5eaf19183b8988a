-- Drops the capability tables (the triggers go with them). Legacy tables are
-- not touched.
DROP TABLE user_capability_state;
DROP TABLE tenant_features;
DROP TABLE tenant_capabilities;
DROP TABLE capabilities;
DROP FUNCTION capgate_touch_updated_at();
