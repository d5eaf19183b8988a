// A tenant's and a user's facts in the policy input's shape, as JSON text that
// SQLite builds itself: one indexed lookup each. The sidecar reads these for
// every decision through the read view (read-view.ts); the tests' object-shaped
// lookups are test/replica/lookups.ts.
import type Database from "better-sqlite3";

const TENANT_JSON_SQL = `
  SELECT json_object(
    'id', t.id,
    'capabilities', (SELECT json_group_object(capability_key, json(value)) FROM tenant_capabilities WHERE tenant_id = t.id),
    'features', (SELECT json_group_object(feature_key, json(CASE enabled WHEN 1 THEN 'true' ELSE 'false' END))
                 FROM tenant_features WHERE tenant_id = t.id))
  FROM tenants t WHERE t.id = ?`;

/** The user's facts, with `keys` removed from the top of each capability's data (deeper ones are the caller's to remove). */
function userJsonSql(keys: Iterable<string>): string {
  const paths = [...keys].map((k) => `'$.${k}'`).join(", ");
  return `
  SELECT json_object(
    'id', u.id,
    'tenant_id', u.tenant_id,
    'capabilities', (SELECT json_group_object(capability_key,
                       json_object('status', status, 'source', source, 'data', json_remove(data, ${paths})))
                     FROM user_capability_state WHERE user_id = u.id))
  FROM users u WHERE u.id = ?`;
}

export interface PolicyFactQueries {
  /** `{"id", "capabilities": {key: value}, "features": {key: bool}}`, or undefined for an unknown tenant. */
  tenantJson(id: string): string | undefined;
  /** `{"id", "tenant_id", "capabilities": {key: {"status", "source", "data"}}}`, or undefined for an unknown user. */
  userJson(id: string): string | undefined;
}

/** Prepares the two lookups on an open replica; `secretKeys` never leave SQLite at the top of a capability's data. */
export function preparePolicyFacts(db: Database.Database, secretKeys: Iterable<string>): PolicyFactQueries {
  const tenant = db.prepare(TENANT_JSON_SQL).pluck();
  const user = db.prepare(userJsonSql(secretKeys)).pluck();
  return {
    tenantJson: (id) => tenant.get(id) as string | undefined,
    userJson: (id) => user.get(id) as string | undefined,
  };
}
