// Builds what the published CLI runs: the TypeScript library into dist/ and the
// AssemblyScript Wasm runtime that compiled policies are linked into.
// Runs on `npm ci` (prepare) and before `npm test`, so a fresh clone needs no other step.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
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

run(process.execPath, [join(root, "scripts", "build-runtime.mjs")]);
run(bin("tsc"), ["-p", "tsconfig.build.json"]);

// The compiled CLI links policies into the runtime from dist/, beside link-runtime.js.
const runtimeWasm = join("compiler", "wasm", "runtime", "build", "runtime.wasm");
mkdirSync(dirname(join(root, "dist", runtimeWasm)), { recursive: true });
copyFileSync(join(root, "src", runtimeWasm), join(root, "dist", runtimeWasm));
