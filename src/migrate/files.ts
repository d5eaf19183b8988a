// Reads a migrations folder: `NNNNNN_name.up.sql` / `NNNNNN_name.down.sql`
// pairs, numbered 1, 2, 3, ... with no gaps. Anything malformed is refused
// before a single statement runs.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CapgateError } from "../errors.js";

export interface Migration {
  version: number;
  name: string;
  upFile: string;
  downFile: string;
}

const FILE_RE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.(up|down)\.sql$/;

/**
 * The migrations shipped with capgate. Resolved from this module's own
 * location (src/migrate or dist/migrate), never from the working directory, so
 * an installed capgate finds its files wherever it is run.
 */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL("../../migrations/", import.meta.url));
}

function fail(message: string): never {
  throw new CapgateError("migration_error", message);
}

export function loadMigrations(dir: string): Migration[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) fail(`migrations folder ${dir} is not a directory`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof CapgateError) throw e;
    fail(`cannot read migrations folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }

  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of names.sort()) {
    if (!file.endsWith(".sql")) continue; // READMEs and the like
    const m = FILE_RE.exec(file);
    if (!m) fail(`${join(dir, file)}: file name is not NNNNNN_name.up.sql or NNNNNN_name.down.sql`);
    const [, digits, name, direction] = m as unknown as [string, string, string, "up" | "down"];
    const version = Number(digits);
    if (!Number.isSafeInteger(version) || version < 1) fail(`${join(dir, file)}: version must be a positive integer`);
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) fail(`version ${version} has two names in ${dir}: ${entry.name} and ${name}`);
    if (entry[direction] !== undefined) fail(`version ${version} has two ${direction} files in ${dir}`);
    entry[direction] = join(dir, file);
    byVersion.set(version, entry);
  }

  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  const out: Migration[] = [];
  let expected = 1;
  for (const version of versions) {
    const e = byVersion.get(version)!;
    const label = `${String(version).padStart(6, "0")}_${e.name}`;
    if (version !== expected) {
      fail(`gap in migration numbering in ${dir}: expected version ${expected}, found ${label}`);
    }
    if (e.up === undefined) fail(`missing ${label}.up.sql in ${dir}`);
    if (e.down === undefined) fail(`missing ${label}.down.sql in ${dir}`);
    out.push({ version, name: e.name, upFile: e.up, downFile: e.down });
    expected++;
  }
  return out;
}

export function readMigrationSql(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
