// AuthZEN decisions on the replica's facts (`authzen.facts: replica`): a real
// PostgreSQL primary seeded with the demo data, a real SQLite replica built by
// snapshot export and apply, and a policy that reads `input.facts` for the
// subject (tenant from properties.tenant_id, user from id), single and in a
// boxcar; without a current replica every evaluation is a deny naming why.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import type { RunningServer } from "../../src/server/server.js";
import { buildReplica, createTestPrimary, startTestServer, tempDir, type TestPrimary } from "../server/helpers.js";

const POLICY = `package authzen

decision := {"decision": allowed, "context": {"tenant": object.get(input.facts, ["tenant", "id"], null)}}

default allowed := false

allowed if {
	input.facts.user.tenant_id == input.subject.properties.tenant_id
	input.facts.tenant.id == input.subject.properties.tenant_id
}

evaluations := [d | some r in input.evaluations; d := decision with input as r]
`;

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
const servers: RunningServer[] = [];
let withReplica: RunningServer;
let withoutReplica: RunningServer;

beforeAll(async () => {
  tmp = tempDir("capgate-authzen-replica-");
  db = await createTestPrimary("authzen_facts");
  const replica = await buildReplica(db.primary, tmp.dir);
  const m = compilePolicy({ sources: [{ file: "p.rego", text: POLICY }], entrypoints: ["authzen/decision", "authzen/evaluations"] });
  const bundle = join(tmp.dir, "f.tar.gz");
  writeFileSync(bundle, await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: "f1" }));
  withReplica = await startTestServer(tmp.dir, { bundle, replica, "authzen.facts": "replica" });
  withoutReplica = await startTestServer(tmp.dir, { bundle, "authzen.facts": "replica" });
  servers.push(withReplica, withoutReplica);
}, 300_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await db?.drop();
  tmp?.remove();
});

async function post(s: RunningServer, path: string, body: unknown): Promise<any> {
  const res = await fetch(s.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json();
}

const subject = (id: string, tenant: string) => ({ type: "user", id, properties: { tenant_id: tenant } });
const rest = { action: { name: "token.issue" }, resource: { type: "token", id: "access" } };

it("answers from the replica's facts for the subject, single and boxcarred", async () => {
  expect(await post(withReplica, "/access/v1/evaluation", { subject: subject("u-alice", "acme"), ...rest })).toEqual({ decision: true, context: { tenant: "acme" } });
  expect(await post(withReplica, "/access/v1/evaluation", { subject: subject("u-alice", "globex"), ...rest })).toEqual({ decision: false, context: { tenant: "globex" } });
  expect(await post(withReplica, "/access/v1/evaluation", { subject: subject("u-nobody", "acme"), ...rest })).toEqual({ decision: false, context: { tenant: "acme" } });
  const boxcar = await post(withReplica, "/access/v1/evaluations", { ...rest, evaluations: [{ subject: subject("u-alice", "acme") }, { subject: subject("u-carol", "globex") }, { subject: subject("u-carol", "acme") }] });
  expect(boxcar.evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([true, true, false]);
});

it("denies every evaluation, naming the replica, while none is current", async () => {
  expect(await post(withoutReplica, "/access/v1/evaluation", { subject: subject("u-alice", "acme"), ...rest })).toEqual({
    decision: false,
    context: { error: { status: 503, message: "replica_missing" } },
  });
  const boxcar = await post(withoutReplica, "/access/v1/evaluations", { ...rest, evaluations: [{ subject: subject("u-alice", "acme") }, { subject: subject("u-carol", "globex") }] });
  expect(boxcar.evaluations).toEqual([
    { decision: false, context: { error: { status: 503, message: "replica_missing" } } },
    { decision: false, context: { error: { status: 503, message: "replica_missing" } } },
  ]);
});
