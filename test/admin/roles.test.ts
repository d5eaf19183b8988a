// Every admin route and role over real HTTP, from test/cases/admin/roles/:
// the status, the field and problem of each refusal, and, after every refused
// request, that the primary holds exactly what it held before. On PGlite and,
// when CAPGATE_TEST_DATABASE_URL is set, on PostgreSQL.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngines } from "../helpers/primary.js";
import { adminFixture, call, stateOf, type AdminFixture, type Tokens } from "./helpers.js";

interface Case {
  name: string;
  method: string;
  path: string;
  token: keyof Tokens | "none" | "bogus";
  body?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  field?: string;
  problem?: string;
  match?: Record<string, unknown>;
}

const file = fileURLToPath(new URL("../cases/admin/roles/roles.yaml", import.meta.url));
const cases = (parse(readFileSync(file, "utf8")) as { cases: Case[] }).cases;

describe.each(testEngines())("admin routes and roles on %s", (engine) => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await adminFixture(`roles_${engine}`, engine);
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const token = c.token === "none" ? undefined : c.token === "bogus" ? "cgadm_not-a-real-token" : f.tokens[c.token];
    const headers: Record<string, string> = { ...(c.headers ?? {}) };
    if (c.raw !== undefined) headers["content-type"] = c.contentType ?? "application/json";
    const before = c.status >= 400 ? await stateOf(f.primary) : undefined;
    const r = await call(f.url, c.method, `/admin/v1${c.path}`, {
      token,
      headers,
      ...(c.raw !== undefined ? { raw: c.raw } : c.body !== undefined ? { body: c.body } : {}),
    });
    expect({ status: r.status, body: r.json }).toMatchObject({ status: c.status });
    if (c.status >= 400) {
      expect(r.json["error"]).toMatchObject({ message: expect.any(String) });
      if (c.field !== undefined) expect(r.json["error"]["details"]["field"]).toBe(c.field);
      if (c.problem !== undefined) expect(r.json["error"]["details"]["problem"]).toBe(c.problem);
      expect(await stateOf(f.primary)).toBe(before);
    }
    if (c.match !== undefined) expect(r.json).toMatchObject(c.match);
  });
});
