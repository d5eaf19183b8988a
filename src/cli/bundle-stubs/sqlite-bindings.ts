// What better-sqlite3's `require("bindings")` answers in the serve bundle
// (scripts/build.mjs swaps it in): bundled, better-sqlite3's JavaScript comes
// from the code cache instead of ~13 files resolved and compiled at each start.
// `bindings` finds the native module from its caller's file, which in the bundle
// is the bundle itself, so the module is looked for from better-sqlite3's own
// folder: first where a node-gyp build or prebuild-install puts it (bindings'
// own first three places, in its order), else by `bindings` in all of its places.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

type Bindings = (opts: { bindings: string; module_root: string }) => unknown;

export function sqliteBindings(name: string): unknown {
  const manifest = createRequire(import.meta.url).resolve("better-sqlite3/package.json");
  const root = dirname(manifest);
  const sqliteRequire = createRequire(manifest);
  const built = [join(root, "build", name), join(root, "build", "Debug", name), join(root, "build", "Release", name)].find((f) => existsSync(f));
  if (built !== undefined) return sqliteRequire(built);
  // Resolved from better-sqlite3's folder: `bindings` is its dependency, not capgate's.
  return (sqliteRequire("bindings") as Bindings)({ bindings: name, module_root: root });
}
