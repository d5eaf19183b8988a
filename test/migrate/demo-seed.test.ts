// `capgate demo seed`: idempotent legacy demo data that, before or after the
// data migration, ends in the capability facts listed in
// test/cases/migrate/demo-seed/expected.yaml.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { CapgateError } from "../../src/errors.js";
import { seedDemo, DEMO_TENANTS, DEMO_USERS } from "../../src/demo/seed.js";
import { migrate } from "../../src/migrate/index.js";
import type { Primary } from "../../src/primary/index.js";
import { freshPrimary, testEngines, type TestPrimary } from "../helpers/primary.js";
import { CAPABILITY_TABLES, LEGACY_TABLES, dumpTable, dumpTables } from "../helpers/rows.js";

const expected = z
  .object({
    tenants: z.record(
      z.string(),
      z.object({ max_token_ttl: z.number(), mfa_required: z.boolean(), mfa_feature: z.boolean() }).strict(),
    ),
    users: z.record(z.string(), z.object({ tenant: z.string(), enrolled: z.array(z.enum(["mfa", "totp"])) }).strict()),
  })
  .strict()
  .parse(parse(readFileSync(new URL("../cases/migrate/demo-seed/expected.yaml", import.meta.url), "utf8")));

async function capabilityFacts(p: Primary): Promise<typeof expected> {
  const tenants: (typeof expected)["tenants"] = {};
  const caps = await p.query<{ tenant_id: string; ttl: number; req: boolean; feature: boolean }>(`
    SELECT t.id AS tenant_id,
           (ttl.value ->> 'seconds')::int AS ttl,
           (mfa.value ->> 'required')::boolean AS req,
           coalesce(f.enabled, false) AS feature
      FROM tenants t
      JOIN tenant_capabilities ttl ON ttl.tenant_id = t.id AND ttl.capability_key = 'max_token_ttl'
      JOIN tenant_capabilities mfa ON mfa.tenant_id = t.id AND mfa.capability_key = 'mfa'
      LEFT JOIN tenant_features f ON f.tenant_id = t.id AND f.feature_key = 'mfa'`);
  for (const r of caps.rows) tenants[r.tenant_id] = { max_token_ttl: r.ttl, mfa_required: r.req, mfa_feature: r.feature };
  const users: (typeof expected)["users"] = {};
  const rows = await p.query<{ id: string; tenant_id: string; enrolled: Array<"mfa" | "totp"> }>(`
    SELECT u.id, u.tenant_id,
           coalesce(array_agg(s.capability_key ORDER BY s.capability_key) FILTER (WHERE s.status = 'enrolled'), '{}') AS enrolled
      FROM users u LEFT JOIN user_capability_state s ON s.user_id = u.id
     GROUP BY u.id, u.tenant_id`);
  for (const r of rows.rows) users[r.id] = { tenant: r.tenant_id, enrolled: r.enrolled };
  return { tenants, users };
}

describe.each(testEngines())("demo seed on %s", (engine) => {
  const opened: TestPrimary[] = [];
  afterEach(async () => {
    while (opened.length > 0) await opened.pop()!.cleanup();
  });
  const fresh = async (): Promise<Primary> => {
    const tp = await freshPrimary("demo", engine);
    opened.push(tp);
    return tp.primary;
  };

  it("seeded before the data migration, the migration yields the documented facts", async () => {
    const p = await fresh();
    await migrate(p, { goto: 3 });
    const r = await seedDemo(p);
    expect(r).toEqual({
      inserted: { tenants: DEMO_TENANTS.length, tenantSettings: 4, users: DEMO_USERS.length },
      capabilitiesApplied: false,
    });
    expect(await dumpTable(p, "tenant_capabilities")).toEqual([]);
    await migrate(p, { up: "all" });
    expect(await capabilityFacts(p)).toEqual(expected);
  });

  it("seeded after the data migration, the same facts; a second seed changes nothing", async () => {
    const p = await fresh();
    await migrate(p, { up: "all" });
    expect((await seedDemo(p)).capabilitiesApplied).toBe(true);
    expect(await capabilityFacts(p)).toEqual(expected);
    const before = await dumpTables(p, [...LEGACY_TABLES, ...CAPABILITY_TABLES]);
    expect((await seedDemo(p)).inserted).toEqual({ tenants: 0, tenantSettings: 0, users: 0 });
    expect(await dumpTables(p, [...LEGACY_TABLES, ...CAPABILITY_TABLES])).toEqual(before);
  });

  it("refuses a primary without the legacy tables", async () => {
    const p = await fresh();
    const e = await seedDemo(p).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CapgateError);
    expect((e as CapgateError).format()).toMatch(/^migration_error: .* has no legacy tables yet; run 'capgate migrate up' first$/);
  });
});
