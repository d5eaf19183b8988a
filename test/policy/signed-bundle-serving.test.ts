// Signed bundles in a real sidecar (capgate's compiled Wasm, real HTTP on an
// ephemeral port) and through the built CLI: a configured verification key
// makes start-up, `serve --check` and hot reload refuse a tampered, unsigned
// or wrongly signed bundle with one line, while the last good bundle keeps
// serving; `policy build --signing-key` writes a bundle the sidecar accepts.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { create, extract } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapgateErrors } from "../../src/errors.js";
import { readBundle, signBundle } from "../../src/policy/bundle.js";
import { loadConfig } from "../../src/server/config.js";
import { loadBundleSigner, loadBundleVerifier } from "../../src/policy/signing/index.js";
import { runCli } from "../helpers/cli.js";
import { buildTestBundle, post, startTestServer, tempDir } from "../server/helpers.js";

let tmp: ReturnType<typeof tempDir>;
let privateKey: string;
let publicKey: string;
let otherPrivate: string;
/** Good signed bundles (revisions signed-1, signed-2), and bad ones built from signed-1. */
const bundles: Record<"good1" | "good2" | "tampered" | "unsigned" | "otherKey", Buffer> = {} as never;

const INPUT = { tenant_id: "acme", user_id: "u-alice", token_type: "access", auth: { methods: ["pwd"] } };

beforeAll(async () => {
  tmp = tempDir("capgate-signed-serving-");
  const write = (name: string, text: string): string => {
    const p = join(tmp.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const pair = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
  const k = pair();
  privateKey = write("signing.pem", k.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
  publicKey = write("signing.pub.pem", k.publicKey.export({ type: "spki", format: "pem" }) as string);
  otherPrivate = write("other.pem", pair().privateKey.export({ type: "pkcs8", format: "pem" }) as string);

  const signer = loadBundleSigner({ keyFile: privateKey });
  const unsigned1 = readFileSync(await buildTestBundle(join(tmp.dir, "u1.tar.gz"), "signed-1"));
  const unsigned2 = readFileSync(await buildTestBundle(join(tmp.dir, "u2.tar.gz"), "signed-2"));
  bundles.good1 = Buffer.from(await signBundle(unsigned1, signer));
  bundles.good2 = Buffer.from(await signBundle(unsigned2, signer));
  bundles.unsigned = unsigned1;
  bundles.otherKey = Buffer.from(await signBundle(unsigned1, loadBundleSigner({ keyFile: otherPrivate })));
  bundles.tampered = await rewrite(bundles.good1, "data.json", (text) => text.replace("{}", '{"capgate":{"overrides":{"allow_all":true}}}'));
}, 300_000);

afterAll(() => tmp?.remove());

/** The bundle with one file's text changed and everything else (its signature too) kept. */
async function rewrite(bytes: Buffer, name: string, change: (text: string) => string): Promise<Buffer> {
  const dir = join(tmp.dir, `x-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const archive = join(dir, "..", `${dir.split("/").pop()}.tar.gz`);
  writeFileSync(archive, bytes);
  const names: string[] = [];
  await extract({ file: archive, cwd: dir, onReadEntry: (e) => void names.push(e.path.replace(/^\/+/, "")) });
  const before = readFileSync(join(dir, name), "utf8");
  const after = change(before);
  expect(after).not.toBe(before);
  writeFileSync(join(dir, name), after);
  const out = `${archive}.out`;
  await create({ gzip: true, file: out, cwd: dir, portable: true }, names);
  return readFileSync(out);
}

/** Puts bytes at `path` by rename, as a deployment would. */
function deploy(path: string, bytes: Buffer): string {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** A service logger whose lines the test can read. */
function capturedLog(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    logger: pino({ level: "info" }, sink),
    lines: () => chunks.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("a sidecar with a verification key", () => {
  it("hot reload refuses a tampered bundle with one line and keeps serving the last good one, then takes a good one", async () => {
    const path = deploy(join(tmp.dir, "live.tar.gz"), bundles.good1);
    const log = capturedLog();
    const s = await startTestServer(tmp.dir, { bundle: path, "bundle_verification.key_file": publicKey }, { logger: log.logger });
    try {
      expect(s.engine.revision).toBe("signed-1");
      deploy(path, bundles.tampered);
      await s.reload();
      expect(s.engine.revision).toBe("signed-1");
      const refused = log.lines().filter((l) => l["file"] === path);
      expect(refused).toHaveLength(1);
      expect(refused[0]!["err"]).toMatch(
        new RegExp(`^bundle_error: ${path.replace(/[.]/g, "\\.")}: refused: bundle_error: /data\\.json: digest mismatch: its SHA-256 is [0-9a-f]{64}, the bundle signature lists [0-9a-f]{64}$`),
      );
      // Still answering from signed-1's policy, not fail-closed for want of a policy.
      const answer = await post(s.url, "/decide", { decision: "token.issue", input: INPUT });
      expect(answer.status).toBe(200);
      expect(answer.json["reasons"]).not.toContain("policy_not_loaded");

      deploy(path, bundles.good2);
      await s.reload();
      expect(s.engine.revision).toBe("signed-2");
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/capgate_reloads_total\{kind="bundle",outcome="refused"\} 1/);
    } finally {
      await s.close();
    }
  }, 120_000);

  it.each([
    ["tampered", /\/data\.json: digest mismatch/],
    ["unsigned", /\/\.signatures\.json: missing: the bundle is not signed, and a verification key is configured/],
    ["otherKey", /\/\.signatures\.json: the signature does not verify with the verification key /],
  ] as const)("refuses a %s bundle at start-up and answers fail-closed", async (kind, pattern) => {
    const path = deploy(join(tmp.dir, `start-${kind}.tar.gz`), bundles[kind]);
    const log = capturedLog();
    const s = await startTestServer(tmp.dir, { bundle: path, "bundle_verification.key_file": publicKey }, { logger: log.logger });
    try {
      expect(s.engine.loaded).toBe(false);
      expect(log.lines().find((l) => l["file"] === path)?.["err"]).toMatch(pattern);
      const answer = await post(s.url, "/decide", { decision: "token.issue", input: INPUT });
      expect(answer.json).toMatchObject({ allow: false, reasons: expect.arrayContaining(["policy_not_loaded"]) });
    } finally {
      await s.close();
    }
  }, 120_000);

  it("a bad verification key file stops start-up with a config error", async () => {
    const path = deploy(join(tmp.dir, "start-bad-key.tar.gz"), bundles.good1);
    await expect(startTestServer(tmp.dir, { bundle: path, "bundle_verification.key_file": join(tmp.dir, "absent.pem") })).rejects.toThrow(
      /verification key .*absent\.pem: cannot read \(ENOENT\)/,
    );
  });
});

describe("bundle_verification settings", () => {
  it("come from the config file, the environment or flags; a key id or scope without a key is refused", () => {
    const c = loadConfig({ env: { CAPGATE_VERIFICATION_KEY: publicKey, CAPGATE_BUNDLE_SCOPE: "prod" }, flags: { "bundle_verification.key_id": "release-1" } });
    expect(c.bundle_verification).toEqual({ key_file: publicKey, key_id: "release-1", scope: "prod" });
    let lines: string[] = [];
    try {
      loadConfig({ flags: { "bundle_verification.key_id": "release-1", "bundle_verification.scope": "prod" } });
    } catch (e) {
      lines = (e as CapgateErrors).errors.map((x) => x.format());
    }
    expect(lines).toEqual([
      "config_error: bundle_verification.key_id: has no effect without bundle_verification.key_file",
      "config_error: bundle_verification.scope: has no effect without bundle_verification.key_file",
    ]);
  });
});

describe("the CLI", () => {
  it("serve --check names the tampered file in one line and fails; passes a good bundle", async () => {
    const bad = deploy(join(tmp.dir, "check-bad.tar.gz"), bundles.tampered);
    const r = await runCli(["serve", "--check", "--bundle", bad, "--verification-key", publicKey]);
    expect(r.code).toBe(1);
    const line = r.stdout.split("\n").find((l) => /^problem +bundle:/.test(l));
    expect(line).toMatch(/^problem +bundle: bundle_error: .*check-bad\.tar\.gz: refused: bundle_error: \/data\.json: digest mismatch: its SHA-256 is [0-9a-f]{64}, the bundle signature lists [0-9a-f]{64}$/);

    const good = deploy(join(tmp.dir, "check-good.tar.gz"), bundles.good1);
    const ok = await runCli(["serve", "--check", "--bundle", good, "--verification-key", publicKey]);
    expect(ok.stdout).toMatch(/^ok +bundle: .*check-good\.tar\.gz: revision signed-1, .*; signature verified \(key id default\)$/m);
    const unchecked = await runCli(["serve", "--check", "--bundle", good]);
    expect(unchecked.stdout).toMatch(/^warning +bundle: .*check-good\.tar\.gz is signed, but no bundle_verification\.key_file is set: its signature is not checked$/m);
  }, 120_000);

  it("policy build --signing-key writes a bundle that verifies; --scope must then match", async () => {
    const rego = join(tmp.dir, "authz.rego");
    writeFileSync(rego, "package example\n\n# METADATA\n# entrypoint: true\nallow if input.user == \"alice\"\n");
    const claims = join(tmp.dir, "claims.json");
    writeFileSync(claims, JSON.stringify({ scope: "prod", iss: "ci" }));
    const out = join(tmp.dir, "cli-signed.tar.gz");
    const r = await runCli(["policy", "build", rego, "-o", out, "--signing-key", privateKey, "--claims-file", claims]);
    expect(r.stderr).toMatch(/wrote .*cli-signed\.tar\.gz: entrypoints example\/allow; signed RS256, key id default/);
    expect(r.code).toBe(0);
    const b = await readBundle(readFileSync(out), { verifier: loadBundleVerifier({ keyFile: publicKey, scope: "prod" }) });
    expect(b.verified).toMatchObject({ scope: "prod" });
    await expect(readBundle(readFileSync(out), { verifier: loadBundleVerifier({ keyFile: publicKey }) })).rejects.toThrow(/scope "prod" does not match the configured scope ""/);

    const bad = await runCli(["policy", "build", rego, "-o", out, "--signing-key", publicKey]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/signing key .*signing\.pub\.pem: not a PEM private key/);
  }, 120_000);
});
