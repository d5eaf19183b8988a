// Builds what the published CLI runs: the TypeScript library into dist/ and the
// AssemblyScript Wasm runtime that compiled policies are linked into.
// Runs on `npm ci` (prepare) and before `npm test`, so a fresh clone needs no other step.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args) => {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
  } catch {
    // The tool has printed its own diagnostics; a stack trace here adds nothing.
    console.error(`build failed: ${[cmd, ...args].join(" ")}`);
    process.exit(1);
  }
};

const runtimeBuild = join(root, "scripts", "build-runtime.mjs");
if (existsSync(runtimeBuild)) run(process.execPath, [runtimeBuild]);
run(bin("tsc"), ["-p", "tsconfig.build.json"]);
