// Builds what the published CLI runs: the TypeScript library into dist/ and the
// AssemblyScript Wasm runtime that compiled policies are linked into.
// Runs on `npm ci` (prepare) and before `npm test`, so a fresh clone needs no other step.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
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

// `capgate serve` runs from one bundle of its modules (src/cli/serve-bundle.ts): on Node 20 the
// ES module loader's per-file cost was most of its start-up. The bundle is CommonJS so that V8's
// code cache can hold its compiled code; PGlite (reads files beside its modules) stays outside it,
// and so does better-sqlite3's native module (its JavaScript is in). Without a bundle, serve runs from dist/'s modules (slower to
// start, the same sidecar), so a bundling failure is reported and the build goes on.
const serveDir = join(root, "dist", "serve");
rmSync(serveDir, { recursive: true, force: true });
try {
  await buildServeBundle();
} catch (e) {
  rmSync(serveDir, { recursive: true, force: true });
  console.error(`build: no serve bundle (${e.message.split("\n")[0]}); capgate serve runs from dist/'s modules`);
}

async function buildServeBundle() {
  mkdirSync(serveDir, { recursive: true });
  const { build } = await import("esbuild");
  const stub = (name) => join(root, "dist", "cli", "bundle-stubs", name);
  // The Wasm SDK's built-in table and the module that edits it are swapped for stubs (see
  // src/cli/bundle-stubs/); without both swaps the bundle would answer with the SDK's sprintf.
  const swapped = new Set();
  const swap = (b, specifier, importerEnd, target) =>
    b.onResolve({ filter: new RegExp(`^${specifier.replace(/[.]/g, "\\.")}$`) }, (a) => {
      if (!a.importer.endsWith(importerEnd)) return undefined;
      swapped.add(target);
      return { path: stub(target) };
    });
  const result = await build({
    entryPoints: [join(root, "dist", "cli", "serve-main.js")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // No comments, no indentation: half the bytes to read and compile; names are kept.
    minifyWhitespace: true,
    legalComments: "none",
    // Left out, and required from node_modules when first used: PGlite (never in a sidecar), and the
    // packages serve reaches only lazily (graphql and JSON Schema built-ins, the NATS follower, TOTP
    // enrolment's QR code, prom-client at the first scrape): 1.2 MB less to read at every start (~6 ms).
    external: ["@electric-sql/pglite", "graphql", "ajv", "ajv-draft-04", "@nats-io/*", "qrcode", "prom-client"],
    // import() as require(): an import() in code V8 takes from the code cache fails in Node 20 with
    // ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, whatever importModuleDynamically says (the packages
    // left out all load as CommonJS; test/server/serve-bundle.test.ts scrapes /metrics to hold it).
    supported: { "dynamic-import": false },
    // Builtins serve never uses but its packages load (src/cli/bundle-stubs/ says why each is safe).
    alias: { "node:http2": stub("http2.js"), "node:child_process": stub("child-process.js") },
    plugins: [
      {
        name: "capgate-serve-stubs",
        setup(b) {
          swap(b, "./builtins/index", join("opa-wasm", "src", "opa.js"), "sdk-builtin-table.js");
          swap(b, "./sdk-builtins.js", join("policy", "runtime", "instantiate.js"), "sdk-builtins.js");
          // better-sqlite3's native module is found from the package's folder (bundle-stubs/sqlite-bindings.ts);
          // `require("bindings")` is called, so it gets the stub's function, not its module.
          b.onResolve({ filter: /^bindings$/ }, (a) => (a.importer.includes(join("node_modules", "better-sqlite3")) ? { path: "bindings", namespace: "capgate-stub" } : undefined));
          b.onLoad({ filter: /^bindings$/, namespace: "capgate-stub" }, () => ({ contents: `module.exports = require(${JSON.stringify(stub("sqlite-bindings.js"))}).sqliteBindings;`, loader: "js", resolveDir: root }));
        },
      },
    ],
    // import.meta.url is the bundle's own URL, which serve-bundle.ts passes in (dist/serve/ is as
    // deep as the modules' own folders, so their relative URLs point where they did).
    define: { "import.meta.url": "__capgateBundleUrl" },
    logLevel: "error",
    write: false,
  });
  if (swapped.size !== 2) throw new Error(`the Wasm SDK's built-in table was not swapped (${[...swapped].join(", ") || "nothing"} matched)`);
  const bundled = result.outputFiles[0].text;
  // serve-bundle.ts reads the file as Latin-1 (a one-byte string, no UTF-8 decoding of megabytes):
  // what esbuild leaves outside the ASCII range (in regular expressions) is written as \u escapes,
  // which mean the same there. The first line stamps the bundle, so a stale code cache is never
  // used; the rest is CommonJS's wrapper around the bundle, plus the URL it stands in for import.meta.url.
  const ascii = bundled.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  writeFileSync(
    join(serveDir, "serve.cjs"),
    `// capgate serve bundle ${randomUUID()}\n(function (exports, require, module, __filename, __dirname, __capgateBundleUrl) {${ascii}\n})`,
  );
  // bin/capgate.js (CommonJS) loads the bundle with serve-bundle.ts's code as CommonJS beside it, so a
  // serve start needs no ES module loader; import.meta.url is the loader's URL (same depth as dist/cli/).
  await build({
    entryPoints: [join(root, "dist", "cli", "serve-bundle.js")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: join(serveDir, "loader.cjs"),
    define: { "import.meta.url": "__capgateLoaderUrl" },
    banner: { js: 'const __capgateLoaderUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "error",
  });
  // The code cache is made by this Node; another Node's V8 refuses it and compiles the source.
  const loader = JSON.stringify(join(root, "dist", "cli", "serve-bundle.js"));
  execFileSync(process.execPath, ["-e", `import(${loader}).then((m) => m.writeServeCodeCache()).then(() => process.exit(0))`], { cwd: root, stdio: "inherit" });
}
