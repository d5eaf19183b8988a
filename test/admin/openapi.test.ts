// GET /admin/v1/openapi.json is an OpenAPI 3.1 document, checked by
// maintained validators rather than by eye: @seriousme/openapi-schema-validator
// (the official OAS 3.1 schema, a devDependency so every machine has it) and
// ajv (every schema in it is JSON Schema 2020-12). ajv alone cannot check the
// OAS 3.1 schema itself: it resolves that schema's $dynamicRef to the wrong
// anchor and refuses any $ref. The document names every route of the
// contract, and live answers satisfy its schemas.
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminFixture, call, type AdminFixture } from "./helpers.js";

let f: AdminFixture;
let doc: Record<string, any>;

beforeAll(async () => {
  f = await adminFixture("openapi");
  doc = (await call(f.url, "GET", "/admin/v1/openapi.json")).json;
}, 120_000);
afterAll(async () => {
  await f?.close();
});

describe("the OpenAPI document", () => {
  it("holds JSON Schema 2020-12 schemas, OAS 3.1's dialect (ajv's meta-schema check)", () => {
    const ajv = new Ajv2020({ strict: false });
    const schemas: Array<[string, unknown]> = Object.entries(doc["components"]["schemas"] as Record<string, unknown>);
    for (const [p, ops] of Object.entries(doc["paths"] as Record<string, Record<string, any>>))
      for (const [m, op] of Object.entries(ops))
        for (const param of (op["parameters"] ?? []) as Array<{ name: string; schema: unknown }>) schemas.push([`${m} ${p} ${param.name}`, param.schema]);
    expect(schemas.length).toBeGreaterThan(20);
    for (const [name, schema] of schemas) expect([name, ajv.validateSchema(schema as object) ? [] : ajv.errors]).toEqual([name, []]);
    expect(doc["openapi"]).toBe("3.1.0");
  });

  it("passes the official OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(validator.version).toBe("3.1");
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("names every route of the contract under the /admin/v1 server", () => {
    expect(doc["servers"]).toEqual([{ url: "/admin/v1" }]);
    const routes = Object.entries(doc["paths"] as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual(
      [
        "GET /capabilities",
        "GET /tenants",
        "GET /tenants/{tenant}",
        "PUT /tenants/{tenant}/capabilities/{key}",
        "DELETE /tenants/{tenant}/capabilities/{key}",
        "PUT /tenants/{tenant}/features/{key}",
        "GET /tenants/{tenant}/users/{user}",
        "DELETE /tenants/{tenant}/users/{user}/totp",
        "GET /audit",
        "POST /rollouts",
        "POST /rollouts/{id}/advance",
        "POST /rollouts/{id}/rollback",
        "GET /rollouts/{id}",
      ].sort(),
    );
  });

  it("describes what the server really answers (its component schemas validate live answers)", async () => {
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: "doc", components: doc["components"] });
    const check = async (schema: string, path: string) => {
      const r = await call(f.url, "GET", path, { token: f.tokens.operator });
      expect(r.status).toBe(200);
      const validate = ajv.getSchema(`doc#/components/schemas/${schema}`)!;
      expect(validate(r.json) ? [] : validate.errors).toEqual([]);
    };
    await check("Catalog", "/admin/v1/capabilities");
    await check("TenantPage", "/admin/v1/tenants?limit=2");
    await check("Tenant", "/admin/v1/tenants/acme");
    await check("User", "/admin/v1/tenants/acme/users/u-alice");
    await check("AuditPage", "/admin/v1/audit");
    const err = await call(f.url, "GET", "/admin/v1/tenants/nope", { token: f.tokens.operator });
    const validate = ajv.getSchema("doc#/components/schemas/Error")!;
    expect(validate(err.json) ? [] : validate.errors).toEqual([]);
  });
});
