// The data migration (000004) against the YAML cases in
// test/cases/migrate/data-migration: each rule checked row by row, a second
// run changing nothing, legacy tables untouched, and a down that removes
// exactly what the up wrote — on PGlite and, when configured, the real server.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { loadMigrations, migrate } from "../../src/migrate/index.js";
import type { Primary, Row } from "../../src/primary/index.js";
import { freshPrimary, testEngines, type TestPrimary } from "../helpers/primary.js";
import { CAPABILITY_TABLES, LEGACY_TABLES, dumpTable, dumpTables, insertRows, schemaShape } from "../helpers/rows.js";

const CASES = fileURLToPath(new URL("../cases/migrate/data-migration/", import.meta.url));

const rows = z.array(z.record(z.string(), z.unknown()));
const capabilityRows = z
  .object({ tenant_capabilities: rows, tenant_features: rows, user_capability_state: rows })
  .partial()
  .strict();
const caseSchema = z
  .object({
    name: z.string(),
    legacy: z.object({ tenants: rows, tenant_settings: rows, users: rows }).partial().strict(),
    before: capabilityRows.optional(),
    expect: capabilityRows,
    after: capabilityRows.optional(),
    expect_after_down: capabilityRows,
  })
  .strict();
type Case = z.infer<typeof caseSchema>;
type CapabilityRows = z.infer<typeof capabilityRows>;
type CapabilityTable = (typeof CAPABILITY_TABLES)[number];

const COLUMNS: Record<CapabilityTable, string[]> = {
  tenant_capabilities: ["tenant_id", "capability_key", "value", "source"],
  tenant_features: ["tenant_id", "feature_key", "enabled", "source"],
  user_capability_state: ["user_id", "capability_key", "status", "data", "source"],
};
const KEYS: Record<CapabilityTable, string[]> = {
  tenant_capabilities: ["tenant_id", "capability_key"],
  tenant_features: ["tenant_id", "feature_key"],
  user_capability_state: ["user_id", "capability_key"],
};

const keyOf = (table: CapabilityTable, row: Row): string => KEYS[table].map((k) => String(row[k])).join("/");
const withoutRule = ({ rule: _rule, ...rest }: Row): Row => rest;

const cases: Array<{ file: string; c: Case }> = readdirSync(CASES)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((file) => ({ file, c: caseSchema.parse(parse(readFileSync(join(CASES, file), "utf8"))) }));

const dataMigration = loadMigrations(fileURLToPath(new URL("../../migrations/", import.meta.url))).find(
  (m) => m.name === "migrate_existing_capabilities",
)!;
const V = dataMigration.version;

async function writeRows(primary: Primary, set: CapabilityRows | undefined, upsert: boolean): Promise<void> {
  for (const table of CAPABILITY_TABLES) await insertRows(primary, table, set?.[table] ?? [], upsert);
}

/** Each table equals `expected` exactly; a missing or wrong row names its rule. */
async function expectCapabilityRows(primary: Primary, expected: CapabilityRows, stage: string): Promise<void> {
  for (const table of CAPABILITY_TABLES) {
    const actual = await dumpTable(primary, table, COLUMNS[table]);
    const want = expected[table] ?? [];
    const byKey = new Map(actual.map((r) => [keyOf(table, r), r]));
    for (const row of want) {
      const label = `${stage}: ${table} ${keyOf(table, row)}${row["rule"] !== undefined ? ` (rule ${String(row["rule"])})` : ""}`;
      expect(byKey.get(keyOf(table, row)), label).toEqual(withoutRule(row));
    }
    const wanted = new Set(want.map((r) => keyOf(table, r)));
    const extra = actual.filter((r) => !wanted.has(keyOf(table, r))).map((r) => keyOf(table, r));
    expect(extra, `${stage}: unexpected rows in ${table}`).toEqual([]);
  }
}

/** What a second up after the down must give: survivors kept, removed rows back. */
function reupExpectation(c: Case): CapabilityRows {
  const out: CapabilityRows = {};
  for (const table of CAPABILITY_TABLES) {
    const kept = c.expect_after_down[table] ?? [];
    const keptKeys = new Set(kept.map((r) => keyOf(table, r)));
    out[table] = [...kept, ...(c.expect[table] ?? []).filter((r) => !keptKeys.has(keyOf(table, r)))];
  }
  return out;
}

describe.each(testEngines())("data migration on %s", (engine) => {
  let tp: TestPrimary | undefined;
  afterEach(async () => {
    await tp?.cleanup();
    tp = undefined;
  });

  it.each(cases)("$file: $c.name", async ({ c }) => {
    tp = await freshPrimary("datamig", engine);
    const p = tp.primary;
    await migrate(p, { goto: V - 1 });
    for (const table of LEGACY_TABLES) await insertRows(p, table, c.legacy[table] ?? []);
    await writeRows(p, c.before, false);
    const legacy = await dumpTables(p, LEGACY_TABLES);
    const shape = await schemaShape(p);

    const first = await migrate(p, { goto: V });
    expect(first.steps.map((s) => s.version)).toEqual([V]);
    // The foreign keys it lifts for the bulk load are back, identical and enforced.
    expect(await schemaShape(p)).toEqual(shape);
    await expect(
      p.query("INSERT INTO tenant_capabilities VALUES ('no-such-tenant', 'mfa', '{\"required\": true}', 'admin')"),
    ).rejects.toMatchObject({ code: "database_error", details: { sqlstate: "23503" } });
    await expectCapabilityRows(p, c.expect, "after up");
    expect(await dumpTables(p, LEGACY_TABLES), "legacy tables after up").toEqual(legacy);

    // Idempotent: the runner has nothing to do, and the SQL itself run again
    // changes no row (timestamps included).
    const everything = await dumpTables(p, [...LEGACY_TABLES, "capabilities", ...CAPABILITY_TABLES]);
    expect((await migrate(p, { goto: V })).steps).toEqual([]);
    await p.exec(readFileSync(dataMigration.upFile, "utf8"));
    expect(await dumpTables(p, [...LEGACY_TABLES, "capabilities", ...CAPABILITY_TABLES])).toEqual(everything);

    await writeRows(p, c.after, true);
    await migrate(p, { goto: V - 1 });
    await expectCapabilityRows(p, c.expect_after_down, "after down");
    expect(await schemaShape(p)).toEqual(shape);
    expect(await dumpTables(p, LEGACY_TABLES), "legacy tables after down").toEqual(legacy);

    await migrate(p, { goto: V });
    await expectCapabilityRows(p, reupExpectation(c), "after up again");
  });
});
