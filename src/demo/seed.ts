// Demo data for the Quickstart and for tests: a handful of legacy tenants and
// users, written with stable ids so docs and tests can name them.
//
// tenant    token_ttl_seconds  mfa_required  after the data migration
// acme      900                true          max_token_ttl 900 s, MFA required (feature mfa on)
// globex    (null)             false         defaults: 3600 s, MFA not required
// initech   300                false         300 s, MFA not required
// umbrella  (no settings row)  -             defaults: 3600 s, MFA not required
// hooli     (null)             true          3600 s, MFA required (feature mfa on)
//
// user      tenant    mfa_enabled  mfa_secret  enrolled in
// u-alice   acme      true         yes         mfa, totp   (can pass acme's MFA)
// u-bob     acme      false        no          nothing     (acme denies: mfa_required + mfa_enrollment_required)
// u-carol   globex    false        no          nothing
// u-dave    globex    true         yes         mfa, totp
// u-erin    initech   false        yes         totp
// u-frank   umbrella  false        no          nothing
// u-grace   hooli     true         yes         mfa, totp
// u-heidi   hooli     true         no          mfa         (enrolled, but no TOTP secret)
//
// The TOTP secrets are base32 and public: demo use only.
//
// Seeding inserts missing rows and leaves existing ones alone, so it can run
// any number of times. When the primary already has the data migration
// applied, the same transaction applies its rules (the function
// capgate_apply_capability_rules() it installed, idempotent) so the demo rows
// get their capabilities just as pre-existing data did.
import { CapgateError } from "../errors.js";
import { readMigrationState } from "../migrate/state.js";
import type { Primary, Queryable } from "../primary/types.js";

export interface DemoTenant {
  id: string;
  name: string;
  /** undefined: the tenant has no tenant_settings row at all. */
  settings?: { tokenTtlSeconds: number | null; mfaRequired: boolean };
}

export interface DemoUser {
  id: string;
  tenantId: string;
  email: string;
  mfaEnabled: boolean;
  mfaSecret: string | null;
}

export const DEMO_TENANTS: readonly DemoTenant[] = [
  { id: "acme", name: "Acme Corp", settings: { tokenTtlSeconds: 900, mfaRequired: true } },
  { id: "globex", name: "Globex", settings: { tokenTtlSeconds: null, mfaRequired: false } },
  { id: "initech", name: "Initech", settings: { tokenTtlSeconds: 300, mfaRequired: false } },
  { id: "umbrella", name: "Umbrella" },
  { id: "hooli", name: "Hooli", settings: { tokenTtlSeconds: null, mfaRequired: true } },
];

export const DEMO_USERS: readonly DemoUser[] = [
  { id: "u-alice", tenantId: "acme", email: "alice@acme.example", mfaEnabled: true, mfaSecret: "MHV4JXMOFCETFHBQHOS4N65C5AXW2GXD" },
  { id: "u-bob", tenantId: "acme", email: "bob@acme.example", mfaEnabled: false, mfaSecret: null },
  { id: "u-carol", tenantId: "globex", email: "carol@globex.example", mfaEnabled: false, mfaSecret: null },
  { id: "u-dave", tenantId: "globex", email: "dave@globex.example", mfaEnabled: true, mfaSecret: "EGJOCKHM7JVCNL7MQUPEIGVZBRSLECJ2" },
  { id: "u-erin", tenantId: "initech", email: "erin@initech.example", mfaEnabled: false, mfaSecret: "ICAR5JVD3QGJQOTLWU4PI7D5BDOVRY5E" },
  { id: "u-frank", tenantId: "umbrella", email: "frank@umbrella.example", mfaEnabled: false, mfaSecret: null },
  { id: "u-grace", tenantId: "hooli", email: "grace@hooli.example", mfaEnabled: true, mfaSecret: "MDRSMZJHEUFEIZYXPAZ4IS44UBJEPXZU" },
  { id: "u-heidi", tenantId: "hooli", email: "heidi@hooli.example", mfaEnabled: true, mfaSecret: null },
];

/** Installed by the data migration; applies its five rules to whatever legacy rows exist. */
const RULES_FUNCTION = "capgate_apply_capability_rules()";

export interface DemoSeedResult {
  inserted: { tenants: number; tenantSettings: number; users: number };
  /** True when the data migration's rules were applied to the demo rows. */
  capabilitiesApplied: boolean;
}

async function insertLegacy(tx: Queryable): Promise<DemoSeedResult["inserted"]> {
  const tenants = await tx.query(
    `INSERT INTO tenants (id, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`,
    [DEMO_TENANTS.map((t) => t.id), DEMO_TENANTS.map((t) => t.name)],
  );
  const withSettings = DEMO_TENANTS.filter((t) => t.settings !== undefined);
  const settings = await tx.query(
    `INSERT INTO tenant_settings (tenant_id, token_ttl_seconds, mfa_required)
     SELECT * FROM unnest($1::text[], $2::integer[], $3::boolean[]) ON CONFLICT (tenant_id) DO NOTHING`,
    [
      withSettings.map((t) => t.id),
      withSettings.map((t) => t.settings!.tokenTtlSeconds),
      withSettings.map((t) => t.settings!.mfaRequired),
    ],
  );
  const users = await tx.query(
    `INSERT INTO users (id, tenant_id, email, mfa_enabled, mfa_secret)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[]) ON CONFLICT (id) DO NOTHING`,
    [
      DEMO_USERS.map((u) => u.id),
      DEMO_USERS.map((u) => u.tenantId),
      DEMO_USERS.map((u) => u.email),
      DEMO_USERS.map((u) => u.mfaEnabled),
      DEMO_USERS.map((u) => u.mfaSecret),
    ],
  );
  return { tenants: tenants.rowCount, tenantSettings: settings.rowCount, users: users.rowCount };
}

/** Writes the demo tenants and users into the primary's legacy tables (idempotent). */
export async function seedDemo(primary: Primary): Promise<DemoSeedResult> {
  const state = await readMigrationState(primary);
  if (state.dirty) {
    throw new CapgateError("migration_error", `database is dirty at version ${state.version ?? "none"}; fix it before seeding`);
  }
  const schema = await primary.query<{ legacy: boolean; rules: boolean }>(
    `SELECT to_regclass('tenants') IS NOT NULL AND to_regclass('tenant_settings') IS NOT NULL
        AND to_regclass('users') IS NOT NULL AS legacy,
            to_regprocedure($1) IS NOT NULL AS rules`,
    [RULES_FUNCTION],
  );
  const { legacy, rules } = schema.rows[0] ?? { legacy: false, rules: false };
  if (!legacy) {
    throw new CapgateError("migration_error", `${primary.location} has no legacy tables yet; run 'capgate migrate up' first`);
  }
  return primary.transaction(async (tx) => {
    const inserted = await insertLegacy(tx);
    if (rules) await tx.query(`SELECT ${RULES_FUNCTION}`);
    return { inserted, capabilitiesApplied: rules };
  });
}
