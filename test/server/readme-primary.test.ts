// README's "Pointing at a real primary", run as written (issue 14 paper-cut):
// the shell block under that heading, with DATABASE_URL set to a fresh
// database on the real PostgreSQL server, `capgate` the built CLI, in an empty
// working directory holding policies/. The sidecar it starts must then verify
// the demo user's TOTP code (not answer not_enrolled) with an assertion the
// JWKS `capgate keys assertion` wrote verifies, and answer decisions.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoTotpCode, DEMO_TOTP_USER } from "../../src/totp/jobs/index.js";
import { capgateCommand, runCli } from "../helpers/cli.js";
import { createTestPrimary, post, tempDir, type TestPrimary } from "./helpers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The first ```sh block after the heading. */
function readmeBlock(heading: string): string[] {
  const text = readFileSync(join(root, "README.md"), "utf8");
  const at = text.indexOf(`### ${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "### ${heading}"`);
  const m = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (m === null) throw new Error(`README.md has no sh block under "${heading}"`);
  return m[1]!.trimEnd().split("\n");
}

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;

beforeAll(async () => {
  tmp = tempDir("capgate-readme-");
  db = await createTestPrimary("readme_primary");
}, 120_000);

afterAll(async () => {
  await db?.drop();
  tmp?.remove();
});

describe("README: pointing at a real primary", () => {
  it("runs as written and leaves a sidecar that verifies TOTP and decides", async () => {
    const lines = readmeBlock("Pointing at a real primary");
    const serveAt = lines.findIndex((l) => l.startsWith("capgate serve "));
    expect(serveAt, "the block ends by starting the sidecar").toBe(lines.length - 1);
    expect(lines[0]).toMatch(/^export DATABASE_URL=/);

    const work = join(tmp.dir, "work");
    mkdirSync(work);
    symlinkSync(join(root, "policies"), join(work, "policies"));
    const binDir = join(tmp.dir, "bin");
    mkdirSync(binDir);
    const [node, bin] = capgateCommand() as [string, string];
    writeFileSync(join(binDir, "capgate"), `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(bin)} "$@"\n`);
    chmodSync(join(binDir, "capgate"), 0o755);

    // The block as written; only the URL is this test's database, and the sidecar takes a free port.
    const script = [
      "set -eu",
      `export DATABASE_URL=${JSON.stringify(db.url!)}`,
      ...lines.slice(1, serveAt),
      `exec ${lines[serveAt]} --port 0 --decision-log off`,
    ].join("\n");
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}:${process.env["PATH"] ?? ""}` };
    for (const k of ["CAPGATE_TOTP_ENCRYPTION_KEY", "CAPGATE_ASSERTION_SIGNING_KEY_FILE", "CAPGATE_DATABASE_URL", "CAPGATE_DEBUG"]) delete env[k];
    const child = spawn("bash", ["-c", script], { cwd: work, env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const look = (): void => {
          const m = /capgate serving on (http:\/\/\S+)/.exec(output);
          if (m) resolve(m[1]!);
        };
        child.stdout.on("data", look);
        child.stderr.on("data", look);
        child.once("close", (code) => reject(new Error(`the README block stopped (${code}) before serving:\n${output}`)));
      });
      expect(output).toMatch(/encrypted [1-9]\d* TOTP secret\(s\) into user_capability_state/);

      const verify = await post(url, "/mfa/totp/verify", { tenant_id: "acme", user_id: DEMO_TOTP_USER, code: await demoTotpCode() });
      expect(verify.status, output).toBe(200);
      expect(verify.json).toMatchObject({ verified: true });
      const jwks = JSON.parse(readFileSync(join(work, "keys", "assertion-jwks.json"), "utf8")) as JSONWebKeySet;
      const { payload, protectedHeader } = await jwtVerify(String(verify.json["assertion"]), createLocalJWKSet(jwks));
      expect(protectedHeader.alg).toBe("EdDSA");
      expect(payload).toMatchObject({ sub: DEMO_TOTP_USER, tenant_id: "acme", amr: ["otp"] });

      const decision = await post(url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: DEMO_TOTP_USER } });
      expect(decision.json).toMatchObject({ allow: true, enrolled: true, reasons: [] });
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("close", r)));
    }

    // A key is never replaced by accident.
    const again = await runCli(["keys", "totp-encryption", "-o", join(work, "keys", "totp-encryption.key")]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; refusing to replace a key \(pass --force/);
  }, 300_000);
});
