// Builds the AssemblyScript Wasm runtime (src/compiler/wasm/runtime/assembly/)
// into src/compiler/wasm/runtime/build/runtime.wasm, the module every compiled
// policy is linked into. Fails with one line naming the problem.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "src", "compiler", "wasm", "runtime");
const out = join(dir, "build", "runtime.wasm");
mkdirSync(dirname(out), { recursive: true });

const die = (msg) => {
  console.error(`build-runtime failed: ${msg}`);
  process.exit(1);
};

const diagnostics = [];
const { error } = await asc.main(
  [
    join(dir, "assembly", "index.ts"),
    "--outFile", out,
    // No AssemblyScript GC: values live in raw memory handed out by our own
    // allocator, which the SDK resets between evaluations.
    "--runtime", "stub",
    "--importMemory",
    "--noExportMemory",
    "-O3",
    "--noAssert",
    "--uncheckedBehavior", "always",
  ],
  { stdout: { write: () => true }, stderr: { write: (s) => { diagnostics.push(String(s)); return true; } } },
);
if (error) {
  process.stderr.write(diagnostics.join(""));
  die(error.message.split("\n")[0]);
}

// The runtime must not rely on AssemblyScript's own allocator or a start
// function: both would break the emitter's heap base and the SDK's heap reset.
const mod = new WebAssembly.Module(readFileSync(out));
const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
// opa_builtin0..4: host built-ins, called through runtime/assembly/host-call.ts
// (and opa_builtin0 directly by the deadline check in memory.ts).
const allowed = new Set(["env.memory", "env.opa_abort", "env.opa_println", ...[0, 1, 2, 3, 4].map((n) => `env.opa_builtin${n}`)]);
const extra = imports.filter((i) => !allowed.has(i));
if (extra.length > 0) die(`unexpected imports ${extra.join(", ")} in ${out}`);
const exports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
if (!exports.has("opa_malloc") || !exports.has("capgate_heap_base")) die(`missing allocator exports in ${out}`);
