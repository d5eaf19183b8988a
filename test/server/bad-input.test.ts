// Data-driven bad-input cases (test/cases/server/bad-input/*.yaml) over real
// HTTP: each garbage request gets a 4xx in the one error shape naming the field
// and the problem, and the very next good request still gets a proper answer.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildReplica, createTestPrimary, post, startTestServer, tempDir, type TestPrimary } from "./helpers.js";
import type { RunningServer } from "../../src/server/server.js";

interface Case {
  name: string;
  path: string;
  body?: unknown;
  raw?: string;
  content_type?: string | null;
  oversize?: boolean;
  status: number;
  field: string;
  problem: string;
  /** The whole message, where its wording is pinned. */
  message?: string;
}

const MAX_BODY = 2048;
const casesDir = join(import.meta.dirname, "..", "cases", "server", "bad-input");
const files = readdirSync(casesDir).filter((f) => f.endsWith(".yaml")).sort();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let server: RunningServer;

beforeAll(async () => {
  tmp = tempDir();
  db = await createTestPrimary("badinput");
  const replica = await buildReplica(db.primary, tmp.dir);
  server = await startTestServer(tmp.dir, { replica, max_body_bytes: MAX_BODY });
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
  tmp?.remove();
});

async function goodRequestStillAnswered(): Promise<void> {
  const r = await post(server.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "u-bob" } });
  expect(r.status).toBe(200);
  expect(r.json["decision_id"]).toMatch(UUID);
  // No bundle yet: the correct answer is a fail-closed denial, from a current replica.
  expect(r.json["allow"]).toBe(false);
  expect(r.json["reasons"]).toEqual(["policy_not_loaded"]);
  expect(typeof r.json["replica_version"]).toBe("string");
}

for (const file of files) {
  const cases = parse(readFileSync(join(casesDir, file), "utf8")) as Case[];
  describe(`bad input: ${file}`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const raw = c.oversize
          ? JSON.stringify({ decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "x".repeat(MAX_BODY) } })
          : c.raw;
        const r = await post(server.url, c.path, c.body, {
          ...(raw === undefined ? {} : { raw }),
          ...(c.content_type === undefined ? {} : { contentType: c.content_type }),
        });
        expect(r.status, JSON.stringify(r.json)).toBe(c.status);
        const error = r.json["error"] as { code: string; message: string; details: { field: string; problem: string } };
        expect(Object.keys(r.json)).toEqual(["error"]);
        expect(error.code).toBe("invalid_input");
        expect(error.details).toEqual({ field: c.field, problem: c.problem });
        if (c.field !== "") expect(error.message.startsWith(`${c.field}: `)).toBe(true);
        expect(error.message).not.toContain("\n");
        if (c.message !== undefined) expect(error.message).toBe(c.message);
        await goodRequestStillAnswered();
      });
    }
  });
}
