// The capability catalog (table `capabilities`) and the schema each
// capability's value must satisfy before it is written for a tenant.
import { z } from "zod";
import type { Queryable } from "../../primary/index.js";

export interface CatalogEntry {
  key: string;
  kind: string;
  description: string;
  default_value: Record<string, unknown>;
  is_system: boolean;
}

/** Value schemas by capability key; the table's CHECK constraint is the last line of defence. */
export const CAPABILITY_VALUE_SCHEMAS: Readonly<Record<string, z.ZodType<Record<string, unknown>>>> = {
  max_token_ttl: z
    .object({ seconds: z.number().int().min(60).max(31_536_000) })
    .strict(),
  mfa: z.object({ required: z.boolean() }).strict(),
  totp: z.object({ enabled: z.boolean() }).strict(),
};

export async function readCatalog(db: Queryable): Promise<CatalogEntry[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    "SELECT key, kind, description, default_value, is_system FROM capabilities ORDER BY key",
  );
  return rows.map((r) => ({
    key: String(r["key"]),
    kind: String(r["kind"]),
    description: String(r["description"]),
    default_value: r["default_value"] as Record<string, unknown>,
    is_system: r["is_system"] === true,
  }));
}

/** Feature keys are the catalog's capabilities of kind `feature`. */
export function featureKeys(catalog: readonly CatalogEntry[]): string[] {
  return catalog.filter((c) => c.kind === "feature").map((c) => c.key);
}
