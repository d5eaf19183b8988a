// The migration lock key matches golang-migrate's, so the two tools exclude
// each other on one primary. Expected ids are golang-migrate's published test
// vectors for its GenerateAdvisoryLockId.
import { describe, expect, it } from "vitest";
import { advisoryLockId, migrationLockKey } from "../../src/migrate/index.js";

describe("migration lock key", () => {
  it.each([
    [[], 1764327054n],
    [["schema_name_1"], 2453313553n],
    [["schema_name_2"], 235207038n],
    [["schema_name_1", "schema_name_2"], 3743845847n],
  ])("database_name + %j", (extra, id) => {
    expect(advisoryLockId("database_name", ...extra)).toBe(id);
  });

  it("orders schema, table, database as the postgres driver does", () => {
    expect(migrationLockKey("database_name", "schema_name_1", "schema_name_2")).toBe(3743845847n);
    expect(migrationLockKey("db", "public")).toBe(advisoryLockId("db", "public", "schema_migrations"));
  });
});
