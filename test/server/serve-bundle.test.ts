// `capgate serve` runs from the serve bundle the build makes (dist/serve/, see
// src/cli/serve-bundle.ts): it starts and decides from the bundle (with
// capgate's built-ins, not the Wasm SDK's, where both have one), loading no
// module of dist/ but the loader, and from dist/'s modules with
// CAPGATE_SERVE_BUNDLE=off; a copy of the bundle starts and decides with its
// code cache, with a cache V8 refuses, with a cache made for another bundle
// (not used) and with none, and loads a package it leaves out (prom-client, at
// the first /metrics scrape) in each case; a bundle older than dist/'s last tsc build is not run.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capgateCommand } from "../helpers/cli.js";
import { buildReplica, buildTestBundle, createTestPrimary, post, tempDir, type TestPrimary } from "./helpers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let replica: string;
let bundle: string;

beforeAll(async () => {
  tmp = tempDir("capgate-serve-bundle-");
  db = await createTestPrimary("serve_bundle");
  replica = await buildReplica(db.primary, tmp.dir);
  // authzen/decision is true only when sprintf is capgate's (Go's fmt, as OPA): the SDK's own
  // sprintf-js prints "1" for %d of 1.5, and a bundled copy of the SDK kept answering with it.
  const sdkBuiltins = { file: "authzen.rego", text: 'package authzen\n\ndecision := sprintf("%d", [1.5]) == "%!d(float64=1.5)"\n' };
  bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "bundle-rev", sdkBuiltins, [
    "capgate/token/issue",
    "capgate/token/validate",
    "capgate/mfa/requirement",
    "authzen/decision",
  ]);
}, 300_000);

afterAll(async () => {
  await db?.drop();
  tmp?.remove();
});

const INPUT = { tenant_id: "acme", user_id: "u-alice", token_type: "access", auth: { methods: ["pwd"] } };

interface Run {
  /** The dist/ modules the run resolved, relative to dist/. */
  distModules: string[];
  stderr: string;
  code: number | null;
}

/**
 * Runs `node <args> serve ...` until it serves, asks one decision (it must be the policy's), stops
 * it with SIGTERM (it must exit 0), and answers what it loaded and printed.
 */
async function serveAndDecide(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const hooks = join(tmp.dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes("/dist/") && !r.url.includes("/node_modules/")) process.stderr.write("DIST " + r.url.split("/dist/")[1] + "\\n"); return r; }\n`,
  );
  // CommonJS loads (bin/capgate.js and the serve loader are CommonJS) are reported through the
  // same line: every file resolved by require(), as Node's own resolver answers it. Packages'
  // own dist/ folders (those the bundle leaves out, loaded when first used) are not capgate's.
  const register = join(tmp.dir, "register.mjs");
  writeFileSync(
    register,
    `import Module, { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
      `const resolve = Module._resolveFilename;\n` +
      `Module._resolveFilename = function (...a) { const f = resolve.apply(this, a); if (f.includes("/dist/") && !f.includes("/node_modules/")) process.stderr.write("DIST " + f.split("/dist/")[1] + "\\n"); return f; };\n`,
  );
  const child = spawn(
    process.execPath,
    ["--import", register, ...args, "serve", "--replica", replica, "--bundle", bundle, "--port", "0", "--no-watch", "--decision-log", "off"],
    { env: { ...process.env, CAPGATE_DEBUG: "1", ...env } },
  );
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /capgate serving on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`serve exited (${code}) before serving:\n${stderr}`)));
  });
  try {
    const r = await post(url, "/decide", { decision: "token.issue", input: INPUT });
    expect(r.json).toMatchObject({ allow: false, reasons: ["mfa_required"], policy_revision: "bundle-rev" });
    const authzen = await post(url, "/access/v1/evaluation", { subject: { type: "user", id: "a" }, action: { name: "read" }, resource: { type: "doc", id: "1" } });
    expect(authzen.json, "capgate's built-ins answer, not the Wasm SDK's").toEqual({ decision: true });
    // prom-client is left out of the bundle and loaded at the first scrape, from code V8 may have taken from the cache.
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status, "a package the bundle leaves out loads when first used").toBe(200);
    expect(await metrics.text()).toContain("capgate_decisions_total");
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = (await once(child, "close")) as [number | null];
  const distModules = stderr
    .split("\n")
    .filter((l) => l.startsWith("DIST "))
    .map((l) => l.slice(5));
  return { distModules, stderr, code };
}

describe("capgate serve from the serve bundle", () => {
  it("starts from the bundle with the build's code cache, loading no server module from dist/", async () => {
    const [node, bin] = capgateCommand() as [string, string];
    expect(node).toBe(process.execPath);
    const r = await serveAndDecide([bin]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("serve bundle");
    expect(r.stderr).toContain("code cache used");
    expect(r.distModules).toEqual(["serve/loader.cjs"]);
  });

  it("starts from dist/'s modules with CAPGATE_SERVE_BUNDLE=off", async () => {
    const [, bin] = capgateCommand() as [string, string];
    const r = await serveAndDecide([bin], { CAPGATE_SERVE_BUNDLE: "off" });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("serve bundle switched off (CAPGATE_SERVE_BUNDLE=off): serving from dist/'s modules");
    expect(r.stderr).not.toContain("code cache");
    expect(r.distModules).toEqual(expect.arrayContaining(["cli/main.js", "cli/commands/serve.js", "server/server.js"]));
  });

  it("starts whatever the code cache: refused by V8, made for another bundle, or missing", async () => {
    // A copy of the loader and the bundle; the packages left out of the bundle come from the checkout's node_modules.
    const copy = join(tmp.dir, "copy");
    mkdirSync(join(copy, "cli"), { recursive: true });
    mkdirSync(join(copy, "serve"), { recursive: true });
    writeFileSync(join(copy, "package.json"), JSON.stringify({ type: "module" }));
    copyFileSync(join(root, "dist", "cli", "serve-bundle.js"), join(copy, "cli", "serve-bundle.js"));
    copyFileSync(join(root, "dist", "serve", "serve.cjs"), join(copy, "serve", "serve.cjs"));
    const runner = join(copy, "run.mjs");
    writeFileSync(runner, `import { loadServeBundle } from "./cli/serve-bundle.js";\nconst entry = loadServeBundle();\nif (entry === null) process.exit(3);\nawait entry.run(process.argv);\n`);
    const env = { NODE_PATH: join(root, "node_modules") };
    const cache = readFileSync(join(root, "dist", "serve", "serve.cache"));
    const stampLength = cache.indexOf(0x0a) + 1;
    const variants: [string, Buffer | null][] = [
      ["used", cache],
      ["refused by V8", Buffer.concat([cache.subarray(0, stampLength), Buffer.from("not a V8 code cache")])],
      ["made for another bundle, not used", Buffer.concat([Buffer.from("// capgate serve bundle 00000000-0000-0000-0000-000000000000\n"), cache.subarray(stampLength)])],
      ["missing", null],
    ];
    for (const [state, bytes] of variants) {
      rmSync(join(copy, "serve", "serve.cache"), { force: true });
      if (bytes !== null) writeFileSync(join(copy, "serve", "serve.cache"), bytes);
      const r = await serveAndDecide([runner], env);
      expect(r.code, state).toBe(0);
      expect(r.stderr, state).toContain(`code cache ${state}`);
    }

    // A TypeScript build after the bundle's (tsc run alone): the bundle holds older code and is not run.
    writeFileSync(join(copy, ".tsbuildinfo"), "{}");
    utimesSync(join(copy, "serve", "serve.cjs"), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const stale = spawnSync(process.execPath, [runner, "serve"], { env: { ...process.env, ...env, CAPGATE_DEBUG: "1" }, encoding: "utf8" });
    expect(stale.status).toBe(3);
    expect(stale.stderr).toContain("serve bundle older than dist/");
  });
});
