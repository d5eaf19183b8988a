// `capgate serve` as an operator runs it (the built CLI in a child process):
// with the decision log on stdout, stdout carries nothing but decision lines
// and the service log goes to stderr, so neither stream splits the other's lines.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capgateCommand } from "../helpers/cli.js";
import { buildReplica, buildTestBundle, createTestPrimary, post, tempDir, type TestPrimary } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let replica: string;
let bundle: string;

beforeAll(async () => {
  tmp = tempDir("capgate-serve-cli-");
  db = await createTestPrimary("serve_cli");
  replica = await buildReplica(db.primary, tmp.dir);
  bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "cli-rev");
}, 300_000);

afterAll(async () => {
  await db?.drop();
  tmp?.remove();
});

describe("capgate serve", () => {
  it("writes decision lines alone on stdout and its service log on stderr", async () => {
    const [node, bin] = capgateCommand() as [string, string];
    const child = spawn(node, [bin, "serve", "--replica", replica, "--bundle", bundle, "--port", "0", "--log-level", "info", "--no-watch"]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        const m = /capgate serving on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`capgate serve exited (${code}) before serving:\n${stderr}`)));
    });
    const input = { tenant_id: "acme", user_id: "u-alice", token_type: "access", auth: { methods: ["pwd"] } };
    for (let i = 0; i < 3; i++) expect((await post(url, "/decide", { decision: "token.issue", input })).json).toMatchObject({ reasons: ["mfa_required"] });
    child.kill("SIGTERM");
    await once(child, "close");

    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatchObject({ decision: "token.issue", decision_id: expect.any(String), policy_revision: "cli-rev" });
    const service = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(service.map((l) => l["msg"])).toEqual(expect.arrayContaining(["policy bundle loaded", "replica opened", "capgate serving"]));
    for (const l of service) expect(l["service"]).toBe("capgate");
  }, 60_000);
});
