// The AuthZEN 1.0 routes' contract on a real sidecar (real HTTP, real Wasm
// compiled by capgate): a deny is 200 with decision false and never an HTTP
// error; a missing required field is a 400 naming it; unknown fields are
// ignored; X-Request-ID comes back on answers and errors; boxcars take
// top-level defaults that items replace, keep each item's error to itself,
// truncate as each semantic says and go through the batch entrypoint in one
// call for execute_all only; the metadata names the searches the policy offers
// and nothing else; search pages with tokens bound to their query.
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, tempDir } from "../server/helpers.js";

const POLICY = `
package authzen

default decision := false

decision if {
	input.subject.id == "alice"
	input.action.name != "forbidden"
	not input.resource.properties.locked
}

# Marks its answers, so a test can tell that a boxcar went through this one call.
evaluations := [{"decision": d, "context": {"via": "batch"}} | some r in input.evaluations; d := decision with input as r]
`;
const SEARCH = `
package authzen.search

subject := [{"type": "user", "id": id} | some id in ["u1", "u2", "u3", "u4", "u5"]; input.action.name == "read"]
`;
const WITH_CONTEXT = `
package withctx

decision := {"decision": input.subject.id == "alice", "context": {"reason_user": "only alice"}}
`;
const BROKEN = `
package broken

decision := 42
`;

let tmp: ReturnType<typeof tempDir>;
const servers: RunningServer[] = [];
let full: RunningServer;
let plain: RunningServer;

async function bundle(name: string, sources: string[], entrypoints: string[]): Promise<string> {
  const m = compilePolicy({ sources: sources.map((text, i) => ({ file: `${name}-${i}.rego`, text })), entrypoints });
  const file = join(tmp.dir, `${name}.tar.gz`);
  writeFileSync(file, await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: name }));
  return file;
}

async function serve(flags: Record<string, unknown>): Promise<RunningServer> {
  const s = await startTestServer(tmp.dir, flags);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  tmp = tempDir("capgate-authzen-");
  const all = await bundle("all", [POLICY, SEARCH, WITH_CONTEXT, BROKEN], [
    "authzen/decision",
    "authzen/evaluations",
    "authzen/search/subject",
    "withctx/decision",
    "broken/decision",
  ]);
  full = await serve({ bundle: all, "authzen.search_page_size": 2 });
  plain = await serve({ bundle: await bundle("plain", [POLICY], ["authzen/decision"]), "authzen.policy_decision_point": "https://pdp.example.com" });
}, 300_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  tmp?.remove();
});

async function call(s: RunningServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(s.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, requestId: res.headers.get("x-request-id"), json: (await res.json()) as Record<string, any> };
}

const alice = { type: "user", id: "alice" };
const bob = { type: "user", id: "bob" };
const read = { name: "read" };
const doc = { type: "doc", id: "d1" };

describe("POST /access/v1/evaluation", () => {
  it("answers a permit and a deny with 200, echoing X-Request-ID", async () => {
    const permit = await call(full, "/access/v1/evaluation", { subject: alice, action: read, resource: doc }, { "x-request-id": "req-1" });
    expect(permit).toEqual({ status: 200, requestId: "req-1", json: { decision: true } });
    const deny = await call(full, "/access/v1/evaluation", { subject: bob, action: read, resource: doc });
    expect(deny).toEqual({ status: 200, requestId: null, json: { decision: false } });
  });

  it("ignores unknown fields and passes entities' properties to the policy", async () => {
    const r = await call(full, "/access/v1/evaluation", {
      subject: { ...alice, nickname: "al" },
      action: read,
      resource: { ...doc, properties: { locked: true } },
      context: { time: "now" },
      extra: { anything: 1 },
    });
    expect(r.json).toEqual({ decision: false });
    expect((await call(full, "/access/v1/evaluation", { subject: alice, action: read, resource: doc, extra: 1 })).json).toEqual({ decision: true });
  });

  it.each([
    [{ action: read, resource: doc }, "subject", "missing"],
    [{ subject: { type: "user" }, action: read, resource: doc }, "subject.id", "missing"],
    [{ subject: alice, action: {}, resource: doc }, "action.name", "missing"],
    [{ subject: alice, action: read, resource: { id: "d1" } }, "resource.type", "missing"],
    [{ subject: alice, action: read, resource: doc, context: "x" }, "context", "wrong_type"],
  ])("refuses %j with 400 naming %s, echoing X-Request-ID", async (body, field, problem) => {
    const r = await call(full, "/access/v1/evaluation", body, { "x-request-id": "bad-1" });
    expect(r.status).toBe(400);
    expect(r.requestId).toBe("bad-1");
    expect(r.json["error"]).toMatchObject({ code: "invalid_input", details: { field, problem } });
    expect(r.json["error"].message).not.toContain("\n");
  });

  it("refuses malformed JSON and other content types", async () => {
    expect((await call(full, "/access/v1/evaluation", "{nope")).status).toBe(400);
    const typed = await fetch(full.url + "/access/v1/evaluation", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(typed.status).toBe(415);
  });

  it("passes a policy's context, and turns a malformed answer into a deny with context.error", async () => {
    const ctx = await serve({ bundle: full.engine.path, "authzen.entrypoint": "withctx/decision" });
    expect((await call(ctx, "/access/v1/evaluation", { subject: alice, action: read, resource: doc })).json).toEqual({
      decision: true,
      context: { reason_user: "only alice" },
    });
    const broken = await serve({ bundle: full.engine.path, "authzen.entrypoint": "broken/decision" });
    const r = await call(broken, "/access/v1/evaluation", { subject: alice, action: read, resource: doc });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ decision: false, context: { error: { status: 500 } } });
  });

  it("denies with context.error (200) while no policy is loaded", async () => {
    const none = await serve({});
    const r = await call(none, "/access/v1/evaluation", { subject: alice, action: read, resource: doc });
    expect(r).toMatchObject({ status: 200, json: { decision: false, context: { error: { status: 503, message: "policy_not_loaded" } } } });
  });
});

describe("POST /access/v1/evaluations", () => {
  it("takes top-level values as defaults that each item replaces", async () => {
    const r = await call(plain, "/access/v1/evaluations", {
      subject: alice,
      action: read,
      resource: doc,
      evaluations: [{}, { subject: bob }, { action: { name: "forbidden" } }, { resource: { ...doc, properties: { locked: true } } }],
    });
    expect(r.json).toEqual({ evaluations: [{ decision: true }, { decision: false }, { decision: false }, { decision: false }] });
  });

  it("keeps an item's error to that item (decision false with context.error)", async () => {
    const r = await call(plain, "/access/v1/evaluations", { action: read, resource: doc, evaluations: [{ subject: alice }, { subject: { type: "user" } }, 7, { subject: alice }] });
    expect(r.status).toBe(200);
    const [a, b, c, d] = r.json["evaluations"];
    expect(a).toEqual({ decision: true });
    expect(b).toEqual({ decision: false, context: { error: { status: 400, message: "evaluations[1].subject.id: is required" } } });
    expect(c).toEqual({ decision: false, context: { error: { status: 400, message: "evaluations[2]: must be an object" } } });
    expect(d).toEqual({ decision: true });
  });

  it("behaves as a single evaluation when the array is absent or empty", async () => {
    for (const evaluations of [undefined, []]) {
      const r = await call(plain, "/access/v1/evaluations", { subject: alice, action: read, resource: doc, evaluations }, { "x-request-id": "one" });
      expect(r).toEqual({ status: 200, requestId: "one", json: { decision: true } });
      expect((await call(plain, "/access/v1/evaluations", { subject: alice, action: read, evaluations })).json["error"]).toMatchObject({ details: { field: "resource" } });
    }
  });

  it("truncates after the first deny or permit as the semantic says", async () => {
    const evaluations = [{ subject: alice }, { subject: bob }, { subject: alice }, { subject: bob }];
    const ask = async (semantic?: string) =>
      (await call(plain, "/access/v1/evaluations", { action: read, resource: doc, evaluations, ...(semantic ? { options: { evaluations_semantic: semantic } } : {}) })).json[
        "evaluations"
      ].map((e: { decision: boolean }) => e.decision);
    expect(await ask()).toEqual([true, false, true, false]);
    expect(await ask("execute_all")).toEqual([true, false, true, false]);
    expect(await ask("deny_on_first_deny")).toEqual([true, false]);
    expect(await ask("permit_on_first_permit")).toEqual([true]);
    const bobFirst = await call(plain, "/access/v1/evaluations", { action: read, resource: doc, options: { evaluations_semantic: "permit_on_first_permit" }, evaluations: [{ subject: bob }, { subject: bob }, { subject: alice }, { subject: bob }] });
    expect(bobFirst.json["evaluations"].map((e: { decision: boolean }) => e.decision)).toEqual([false, false, true]);
    // An item's error is a denial: deny_on_first_deny stops there.
    const stopped = await call(plain, "/access/v1/evaluations", { action: read, resource: doc, options: { evaluations_semantic: "deny_on_first_deny" }, evaluations: [{ subject: alice }, { subject: {} }, { subject: alice }] });
    expect(stopped.json["evaluations"]).toHaveLength(2);
  });

  it("evaluates an execute_all boxcar in one call of the batch entrypoint, the other semantics item by item", async () => {
    const body = { action: read, resource: doc, evaluations: [{ subject: alice }, { subject: { type: "user" } }, { subject: bob }] };
    expect((await call(full, "/access/v1/evaluations", body)).json["evaluations"]).toEqual([
      { decision: true, context: { via: "batch" } },
      { decision: false, context: { error: { status: 400, message: "evaluations[1].subject.id: is required" } } },
      { decision: false, context: { via: "batch" } },
    ]);
    const oneByOne = await call(full, "/access/v1/evaluations", { ...body, options: { evaluations_semantic: "permit_on_first_permit" } });
    expect(oneByOne.json["evaluations"]).toEqual([{ decision: true }]);
  });

  it("refuses an unknown semantic, malformed defaults and too many items with 400", async () => {
    const semantic = await call(plain, "/access/v1/evaluations", { subject: alice, action: read, resource: doc, options: { evaluations_semantic: "first" }, evaluations: [{}] });
    expect(semantic.json["error"]).toMatchObject({ details: { field: "options.evaluations_semantic" } });
    const defaults = await call(plain, "/access/v1/evaluations", { subject: "alice", evaluations: [{}] });
    expect(defaults.json["error"]).toMatchObject({ details: { field: "subject", problem: "wrong_type" } });
    const many = await call(plain, "/access/v1/evaluations", { subject: alice, action: read, resource: doc, evaluations: Array.from({ length: 101 }, () => ({})) });
    expect(many).toMatchObject({ status: 400, json: { error: { details: { field: "evaluations", problem: "too_big" } } } });
  });
});

describe("GET /.well-known/authzen-configuration", () => {
  it("names the evaluation endpoints and only the searches the policy offers", async () => {
    const res = await fetch(plain.url + "/.well-known/authzen-configuration", { headers: { "x-request-id": "meta" } });
    expect(res.headers.get("x-request-id")).toBe("meta");
    expect(await res.json()).toEqual({
      policy_decision_point: "https://pdp.example.com",
      access_evaluation_endpoint: "https://pdp.example.com/access/v1/evaluation",
      access_evaluations_endpoint: "https://pdp.example.com/access/v1/evaluations",
    });
    const withSearch = (await (await fetch(full.url + "/.well-known/authzen-configuration")).json()) as Record<string, string>;
    expect(withSearch["policy_decision_point"]).toBe(full.url);
    expect(withSearch["search_subject_endpoint"]).toBe(`${full.url}/access/v1/search/subject`);
    expect(Object.keys(withSearch).filter((k) => k.startsWith("search_"))).toEqual(["search_subject_endpoint"]);
  });
});

describe("POST /access/v1/search/*", () => {
  it("pages the policy's results with tokens", async () => {
    const q = { subject: { type: "user" }, action: read, resource: doc };
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const r = await call(full, "/access/v1/search/subject", token === "" ? q : { ...q, page: { next_token: token } });
      expect(r.status).toBe(200);
      seen.push(...r.json["results"].map((x: { id: string }) => x.id));
      token = r.json["page"].next_token;
      pages++;
    } while (token !== "");
    expect(seen).toEqual(["u1", "u2", "u3", "u4", "u5"]);
    expect(pages).toBe(3);
  });

  it("refuses a token given for another query, and a search the policy does not offer", async () => {
    const first = await call(full, "/access/v1/search/subject", { subject: { type: "user" }, action: read, resource: doc });
    const token = first.json["page"].next_token as string;
    const other = await call(full, "/access/v1/search/subject", { subject: { type: "user" }, action: read, resource: { type: "doc", id: "d2" }, page: { next_token: token } });
    expect(other).toMatchObject({ status: 400, json: { error: { details: { field: "page.next_token" } } } });
    expect((await call(full, "/access/v1/search/resource", { subject: alice, action: read, resource: { type: "doc" } })).status).toBe(404);
    expect((await call(plain, "/access/v1/search/subject", { subject: { type: "user" }, action: read, resource: doc })).status).toBe(404);
  });
});

describe("bundles", () => {
  it("serves an AuthZEN-only bundle, but still refuses one holding only some of capgate's decisions", async () => {
    expect(plain.engine.loaded).toBe(true);
    const partial = await bundle("partial", [POLICY, "package capgate.token\n\nissue := {\"allow\": false}\n"], ["authzen/decision", "capgate/token/issue"]);
    const s = await serve({ bundle: partial });
    expect(s.engine.loaded).toBe(false);
  });
});
