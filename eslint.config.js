// ESLint for capgate: the import boundaries that hold the layers (issue 20 item 6)
// and a few rules that catch real mistakes. Formatting is Prettier's business,
// types are tsc's (`npm run typecheck`); nothing here duplicates either.
//
// The layers, as they are today:
//   - the sidecar (src/server) never imports the compiler (src/compiler);
//   - the sidecar never imports the migration runner (src/migrate);
//   - the policy runtime (src/policy/runtime, its host built-ins) never imports the
//     compiler, and the sidecar imports only the runtime's front file;
//   - outside src/compiler, only src/compiler/index.ts is imported; the Wasm ABI that
//     compiled modules and their hosts share is src/wasm-abi, which imports neither;
//   - the admin API (src/admin) takes nothing from the sidecar's decision code, and
//     the sidecar takes nothing from src/admin;
//   - the relay and the fleet (src/relay, src/fleet) never import the compiler;
//   - TOTP (src/totp) takes from the sidecar only its HTTP error shape and id shape; only
//     its jobs (src/totp/jobs: legacy secrets, demo user) read src/migrate, and neither the
//     sidecar nor the rest of src/totp imports them;
//   - the replica (src/replica) never imports the sidecar.
// Tests are white-box (a parser test imports the parser) and bench/ measures the
// parts it names, so the compiler's front-file rule binds src/ only; the other
// rules bind every file under their folder.
//
// An import that crosses a line today is named below in ALLOWED, importer and
// imported file both, so a new crossing fails and the old ones stay visible.
// test/lint/layers.test.ts proves the rules bite with this very config.
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";
import { createNodeResolver, importX } from "eslint-plugin-import-x";

/** One boundary: files under `importers` may not import files under `forbidden`, but for `except`. */
const LAYERS = [
  {
    importers: "src/server",
    forbidden: "src/compiler",
    message: "The sidecar never imports the compiler (issue 20): take what it needs from src/policy's runtime.",
  },
  {
    importers: "src/server",
    forbidden: "src/migrate",
    message: "The sidecar never imports the migration runner (issue 20).",
  },
  {
    importers: ["src/!(compiler)/**", "src/*.ts"],
    forbidden: "src/compiler",
    except: ["./index.ts"],
    message: "Outside the compiler, import only its front file src/compiler/index.ts (issue 20).",
  },
  {
    importers: ["src/policy/runtime", "src/policy/host-builtins"],
    forbidden: "src/compiler",
    message:
      "The policy runtime never imports the compiler: compiled modules and their hosts meet in src/wasm-abi (issue 20).",
  },
  {
    importers: "src/server",
    forbidden: "src/policy",
    except: ["./runtime/index.ts"],
    message: "The sidecar imports only the policy runtime's front file src/policy/runtime/index.ts (issue 20).",
  },
  {
    importers: "src/wasm-abi",
    forbidden: "src/!(wasm-abi)/**",
    message:
      "The Wasm ABI (src/wasm-abi) is neutral ground between the compiler and the hosts: it imports no other capgate folder (issue 20).",
  },
  {
    importers: "src/admin",
    forbidden: "src/server",
    // The shared HTTP error shape and body limit, and the config file reader, not decision code.
    except: ["./http/http-error.ts", "./http/body-limit.ts", "./config.ts"],
    message: "The admin API takes nothing from the sidecar's decision code (issue 20).",
  },
  {
    importers: "src/server",
    forbidden: "src/admin",
    message: "The sidecar takes nothing from the admin API (issue 20).",
  },
  {
    importers: "src/totp",
    forbidden: "src/server",
    except: ["./http/http-error.ts", "./http/principal-id.ts"],
    message: "TOTP takes from the sidecar only the shared HTTP error shape and the id shape (issue 20).",
  },
  {
    importers: "src/totp/*.ts",
    forbidden: "src/migrate",
    message: "Only the TOTP jobs (src/totp/jobs) read src/migrate; the sidecar loads the rest of src/totp (issue 20).",
  },
  {
    importers: ["src/server", "src/totp/*.ts"],
    forbidden: "src/totp/jobs",
    message: "The sidecar never imports the TOTP jobs (src/totp/jobs): they read src/migrate (issue 20).",
  },
  {
    importers: "src/replica",
    forbidden: "src/server",
    message: "The replica never imports the sidecar: the sidecar reads through src/replica (issue 20).",
  },
  {
    importers: ["src/relay", "src/fleet"],
    forbidden: "src/compiler",
    message: "The relay and the fleet never import the compiler (issue 20).",
  },
];

/**
 * Today's crossings, each one exact: importer file -> imported file (repository paths).
 * Empty since the restructure (issue 20); a crossing added here needs its reason beside it.
 * @type {Array<[string, string]>}
 */
const ALLOWED = [];

const toList = (value) => (Array.isArray(value) ? value : [value]);

/** The zones for one file: every layer, with the file's allowed crossings added to `except`. */
function zonesFor(file) {
  return LAYERS.map(({ importers, forbidden, except = [], message }) => {
    const extra = ALLOWED.filter(([from, to]) => from === file && to.startsWith(`${forbidden}/`)).map(
      ([, to]) => `./${to.slice(forbidden.length + 1)}`,
    );
    const zone = { target: toList(importers), from: forbidden, message };
    const all = [...except, ...extra];
    return all.length > 0 ? { ...zone, except: all } : zone;
  });
}

const boundaries = (zones) => ({
  "import-x/no-restricted-paths": ["error", { zones, basePath: import.meta.dirname }],
});

export default defineConfig(
  {
    ignores: ["dist/", "node_modules/", "src/**/runtime/assembly/"],
  },
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin, "import-x": importX },
    settings: {
      // Sources import `./x.js` for `./x.ts` (NodeNext): resolve the way tsc does, so the
      // boundary rules see real files (an unresolved import would slip past them).
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".tsx", ".js", ".mjs", ".json", ".node"],
          extensionAlias: { ".js": [".ts", ".tsx", ".js"] },
        }),
      ],
    },
    rules: {
      ...boundaries(zonesFor(null)),
      "import-x/no-unresolved": ["error", { ignore: ["^node:"] }],
      "import-x/no-self-import": "error",
      "no-debugger": "error",
      "no-self-compare": "error",
      "no-self-assign": "error",
      "no-unsafe-finally": "error",
      "no-cond-assign": "error",
      "no-dupe-else-if": "error",
      "no-sparse-arrays": "error",
      "no-async-promise-executor": "error",
      "no-constant-binary-expression": "error",
      "no-unused-private-class-members": "error",
      "@typescript-eslint/no-duplicate-enum-values": "error",
      "@typescript-eslint/no-misused-new": "error",
      "@typescript-eslint/no-unsafe-declaration-merging": "error",
      "@typescript-eslint/no-extra-non-null-assertion": "error",
      "@typescript-eslint/prefer-as-const": "error",
    },
  },
  {
    // Promise mistakes need types: a call whose rejection nobody handles ends the process.
    // About 15 s of CPU on top of the untyped rules on this tree (docs/architecture.md, Layers).
    files: ["src/**/*.ts", "src/**/*.tsx", "test/**/*.ts", "bench/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      // `return p` inside try skips the catch and runs the finally before p settles.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
    },
  },
  {
    // No import cycles in the sidecar, TOTP and the replica (the restructure ended the
    // replica's open.ts <-> status.ts one); a type-only import is no cycle at run time.
    files: ["src/server/**/*.ts", "src/totp/**/*.ts", "src/replica/**/*.ts"],
    // The rule reads the imported files itself: with the TypeScript parser, or it reads none.
    settings: { "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] } },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  ...[...new Set(ALLOWED.map(([from]) => from))].map((file) => ({
    files: [file],
    rules: boundaries(zonesFor(file)),
  })),
);
