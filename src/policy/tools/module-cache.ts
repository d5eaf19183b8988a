// A disk cache of compiled modules for `capgate policy eval`: the same sources,
// query and options compiled by the same compiler give the same module, so a
// repeated evaluation loads it instead of planning and linking it again.
// The key covers every input of the compilation and the compiler itself (its
// files and the runtime it links), so a changed compiler never reuses a module
// an older one wrote. Any failure to read or write the cache only means a
// compilation; it is never an error.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where modules are kept: CAPGATE_CACHE_DIR, else XDG_CACHE_HOME/capgate, else ~/.cache/capgate; "off" disables it. */
function cacheDir(): string | undefined {
  const env = process.env["CAPGATE_CACHE_DIR"];
  if (env === "off") return undefined;
  if (env) return join(env, "modules");
  const base = process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache");
  return join(base, "capgate", "modules");
}

let compilerDigest: string | undefined;

/** A digest of the compiler's own files (JavaScript and the runtime's Wasm), read once per process. */
function compilerVersion(): string {
  if (compilerDigest) return compilerDigest;
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "compiler");
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(js|ts|wasm)$/.test(name) && !name.endsWith(".d.ts")) h.update(name).update(readFileSync(p));
    }
  };
  walk(root);
  compilerDigest = h.digest("hex");
  return compilerDigest;
}

/** The cache key of one compilation: everything it reads. */
export function moduleKey(inputs: unknown): string | undefined {
  try {
    return createHash("sha256").update(compilerVersion()).update(JSON.stringify(inputs)).digest("hex");
  } catch {
    return undefined;
  }
}

export function readCachedModule(key: string | undefined): Uint8Array | undefined {
  const dir = cacheDir();
  if (!dir || !key) return undefined;
  try {
    return new Uint8Array(readFileSync(join(dir, `${key}.wasm`)));
  } catch {
    return undefined;
  }
}

export function writeCachedModule(key: string | undefined, wasm: Uint8Array): void {
  const dir = cacheDir();
  if (!dir || !key) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written aside and renamed, so a reader never sees half a module.
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, wasm, { mode: 0o600 });
    renameSync(tmp, join(dir, `${key}.wasm`));
  } catch {
    // A cache that cannot be written only costs the next run a compilation.
  }
}
