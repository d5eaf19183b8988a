// Loads the serve bundle: dist/serve/serve.cjs, the sidecar's modules in one
// CommonJS file (Node 20 reads one file instead of ~400 ES modules), compiled
// with V8's code cache dist/serve/serve.cache when V8 accepts it (V8 refuses a
// cache from another Node or V8 version, and the file is then compiled as
// plain source). bin/capgate.js (CommonJS) runs this file's code as the build's
// CommonJS copy dist/serve/loader.cjs, so that serve needs no ES module loader.
// No bundle, or CAPGATE_SERVE_BUNDLE=off, and bin/capgate.js
// runs the modules in dist/ as every other command does; so does a bundle older
// than dist/'s last tsc build. The build writes
// the cache with writeServeCodeCache(), after evaluating the bundle's modules
// and starting the sidecar once (serve-main.ts's warmUp()).
// V8 checks a cache against the source's length only, so the build stamps the
// bundle's first line with an id and the cache starts with that line: a cache
// from an earlier bundle is never used.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";

interface ServeEntry {
  run(argv: string[]): Promise<void>;
  /** See serve-main.ts: a start and stop before the code cache is written. */
  warmUp(): Promise<void>;
}

const bundleFile = fileURLToPath(new URL("../serve/serve.cjs", import.meta.url));
const cacheFile = fileURLToPath(new URL("../serve/serve.cache", import.meta.url));
const tscBuildInfo = fileURLToPath(new URL("../.tsbuildinfo", import.meta.url));

/** The bundle's first line: `// capgate serve bundle <id>`. */
function stamp(source: string): string {
  return source.slice(0, source.indexOf("\n") + 1);
}

/** The code cache, if there is one and it was made from this very bundle, or why there is none. */
function readCache(source: string): { data: Buffer } | { none: string } {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return { none: "missing" };
  }
  const line = stamp(source);
  if (line.length <= 1 || file.subarray(0, line.length).toString("latin1") !== line) return { none: "made for another bundle, not used" };
  return { data: file.subarray(line.length) };
}

/** Compiles and evaluates the bundle as CommonJS would; answers its exports and the compiled script. */
function evaluate(source: string, cachedData: Buffer | undefined): { entry: ServeEntry; script: vm.Script } {
  // The file is CommonJS's wrapper function around the modules (see scripts/build.mjs).
  const script = new vm.Script(source, {
    filename: bundleFile,
    ...(cachedData === undefined ? {} : { cachedData }),
    // The bundle require()s the packages it leaves out (scripts/build.mjs); an import() from code
    // compiled here is still given the main context's loader.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as ServeEntry };
  const init = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string, url: string) => void;
  init.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, dirname(bundleFile), pathToFileURL(bundleFile).href);
  return { entry: module.exports, script };
}

/**
 * Why the bundle must not run, if so: switched off, not built, or older than dist/'s last
 * TypeScript build (tsc run alone, without scripts/build.mjs: the bundle holds older code).
 */
function unusable(env: NodeJS.ProcessEnv): string | null {
  if (env["CAPGATE_SERVE_BUNDLE"] === "off") return "switched off (CAPGATE_SERVE_BUNDLE=off)";
  let built: number;
  try {
    built = statSync(bundleFile).mtimeMs;
  } catch {
    return "not built";
  }
  try {
    if (statSync(tscBuildInfo).mtimeMs > built) return "older than dist/ (run `npm run build`)";
  } catch {
    // No build info (an installed package ships none): the bundle and dist/ came together.
  }
  return null;
}

/** The serve bundle's entry, or null when the build made none, it is stale, or it is switched off. */
export function loadServeBundle(env: NodeJS.ProcessEnv = process.env): ServeEntry | null {
  const why = unusable(env);
  if (why !== null) {
    if (env["CAPGATE_DEBUG"]) process.stderr.write(`capgate: serve bundle ${why}: serving from dist/'s modules\n`);
    return null;
  }
  const source = readFileSync(bundleFile, "latin1");
  const cache = readCache(source);
  const { entry, script } = evaluate(source, "data" in cache ? cache.data : undefined);
  // CAPGATE_DEBUG=1 says what start-up ran from, for a start slower than it should be.
  if (env["CAPGATE_DEBUG"]) {
    const state = "none" in cache ? cache.none : script.cachedDataRejected === true ? "refused by V8 (another Node or V8 version?)" : "used";
    process.stderr.write(`capgate: serve bundle ${bundleFile}, code cache ${state}\n`);
  }
  return entry;
}

/**
 * Writes the code cache of the bundle's compiled top level and module initialisers, and of what
 * a start without policy or replica compiles (warmUp(); run by scripts/build.mjs).
 */
export async function writeServeCodeCache(): Promise<void> {
  const source = readFileSync(bundleFile, "latin1");
  const { entry, script } = evaluate(source, undefined);
  await entry.warmUp();
  writeFileSync(cacheFile, Buffer.concat([Buffer.from(stamp(source), "latin1"), script.createCachedData()]));
}
