// The command line's start-up (issue 14 paper-cuts): `capgate --help` loads no
// command's dependencies (binaryen, PGlite, NATS, the server), only the group
// a command names is loaded, and `quickstart --host 0.0.0.0` is refused before
// any set-up with advice naming options quickstart has.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { capgateCommand, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "capgate-cli-startup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages a CLI run resolves, recorded by a module resolve hook. */
async function packagesLoaded(args: string[]): Promise<{ code: number | null; packages: Set<string>; stdout: string }> {
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `export async function resolve(s, c, next) { const r = await next(s, c); const m = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) process.stderr.write("PKG " + m[1] + "\\n"); return r; }\n`,
  );
  const register = join(dir, "register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const [node, bin] = capgateCommand() as [string, string];
  const child = spawn(node, ["--import", register, bin, ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const packages = new Set(stderr.split("\n").filter((l) => l.startsWith("PKG ")).map((l) => l.slice(4)));
  return { code, packages, stdout };
}

describe("capgate start-up", () => {
  it("lists every command on --help without loading any command's dependencies", async () => {
    const r = await packagesLoaded(["--help"]);
    expect(r.code).toBe(0);
    for (const name of ["quickstart", "serve", "migrate", "policy", "snapshot", "sync", "totp"]) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    expect([...r.packages].sort()).toEqual(["commander"]);
  });

  it("loads neither the compiler nor the embedded primary for `serve --help` or `quickstart --help`", async () => {
    for (const args of [["serve", "--help"], ["quickstart", "--help"], ["help", "sync"]]) {
      const r = await packagesLoaded(args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toContain(`Usage: capgate ${args[0] === "help" ? args[1] : args[0]}`);
      for (const heavy of ["binaryen", "@electric-sql/pglite"]) expect(r.packages.has(heavy), `${args.join(" ")} loaded ${heavy}`).toBe(false);
    }
  });

  it("refuses `quickstart --host 0.0.0.0` before any set-up, naming options quickstart has", async () => {
    const state = join(dir, "state");
    const r = await runCli(["quickstart", "--host", "0.0.0.0", "--dir", state, "--port", "0"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^capgate: config_error: --host 0\.0\.0\.0: quickstart binds a loopback address only/);
    expect(lines[0]).toContain("--host 127.0.0.1");
    expect(lines[0]).not.toMatch(/allow_non_loopback|--admin-token <|admin_token/);
    expect(existsSync(state)).toBe(false);
  });
});
