// The AuthZEN interop "todo" scenario against `capgate serve` as an operator
// runs it: the bundle is what `capgate policy build examples/authzen-todo -o
// bundle.tar.gz` alone writes (policy plus the users and roles data found in
// the directory), served by the built CLI in a child process, and asked every
// published decision (todo-decisions.yaml) over HTTP: one at a time, as one
// boxcar per semantic, and with the subject given once as a default.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capgateCommand, runCli } from "../helpers/cli.js";
import { tempDir } from "../server/helpers.js";

interface Published {
  request: { subject: { id: string } & Record<string, unknown>; action: Record<string, unknown>; resource: Record<string, unknown> };
  expected: boolean;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const decisions = (parseYaml(readFileSync(new URL("./todo-decisions.yaml", import.meta.url), "utf8")) as { decisions: Published[] }).decisions;

let tmp: ReturnType<typeof tempDir>;
let child: ReturnType<typeof spawn>;
let url: string;

beforeAll(async () => {
  tmp = tempDir("capgate-authzen-interop-");
  const bundle = join(tmp.dir, "bundle.tar.gz");
  const built = await runCli(["policy", "build", join(root, "examples/authzen-todo"), "-o", bundle]);
  expect(built.code, built.stderr).toBe(0);
  const [node, bin] = capgateCommand() as [string, string];
  child = spawn(node, [bin, "serve", "--bundle", bundle, "--port", "0", "--no-watch", "--decision-log", "off"]);
  let stderr = "";
  url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /capgate serving on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`capgate serve exited (${code}) before serving:\n${stderr}`)));
  });
}, 300_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill("SIGTERM");
    await once(child, "close");
  }
  tmp?.remove();
});

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The answers a short-circuiting semantic must give: every one up to and including the first `stopOn`. */
function truncated(expected: boolean[], stopOn: boolean): boolean[] {
  const at = expected.indexOf(stopOn);
  return at < 0 ? expected : expected.slice(0, at + 1);
}

function decisionsOf(answer: Record<string, unknown>): boolean[] {
  return (answer["evaluations"] as Array<{ decision: boolean }>).map((e) => e.decision);
}

const SEMANTICS = ["execute_all", "deny_on_first_deny", "permit_on_first_permit"] as const;

describe("AuthZEN interop: the todo scenario", () => {
  it("answers every published decision on /access/v1/evaluation", async () => {
    let matched = 0;
    for (const d of decisions) if ((await post("/access/v1/evaluation", d.request))["decision"] === d.expected) matched++;
    console.log(`interop todo, single: ${matched} of ${decisions.length} decisions match`);
    expect(decisions.length).toBe(40);
    expect(matched).toBe(decisions.length);
  });

  it.each(SEMANTICS)("answers them as one boxcar with %s, truncated as the spec says", async (semantic) => {
    // Forward, and reversed so the short-circuiting semantics stop somewhere else.
    for (const list of [decisions, [...decisions].reverse()]) {
      const answer = await post("/access/v1/evaluations", { options: { evaluations_semantic: semantic }, evaluations: list.map((d) => d.request) });
      const expected = list.map((d) => d.expected);
      const want = semantic === "execute_all" ? expected : truncated(expected, semantic === "permit_on_first_permit");
      expect(decisionsOf(answer)).toEqual(want);
    }
  });

  it.each(SEMANTICS)("answers each user's decisions with the subject as a default (%s)", async (semantic) => {
    let matched = 0;
    let asked = 0;
    for (const subject of [...new Set(decisions.map((d) => d.request.subject.id))]) {
      const own = decisions.filter((d) => d.request.subject.id === subject);
      // Denials first, so permit_on_first_permit has some to pass and deny_on_first_deny stops at once.
      const ordered = [...own.filter((d) => !d.expected), ...own.filter((d) => d.expected)];
      const answer = await post("/access/v1/evaluations", {
        subject: ordered[0]!.request.subject,
        options: { evaluations_semantic: semantic },
        evaluations: ordered.map((d) => ({ action: d.request.action, resource: d.request.resource })),
      });
      const expected = ordered.map((d) => d.expected);
      const want = semantic === "execute_all" ? expected : truncated(expected, semantic === "permit_on_first_permit");
      const got = decisionsOf(answer);
      asked += want.length;
      matched += got.filter((g, i) => g === want[i]).length;
      expect(got).toEqual(want);
    }
    console.log(`interop todo, boxcar with subject default, ${semantic}: ${matched} of ${asked} answers match`);
  });
});
