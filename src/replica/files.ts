// Where a replica's bytes live. The replica path is a symbolic link to a
// generation file beside it (`<path>.gen-<id>`); a new snapshot is written to a
// new generation and the link is swapped with one rename. Why not rename the
// database file itself: in WAL mode SQLite names its -wal and -shm files after
// the path it opened, so a new file renamed onto an old path would inherit the
// old file's write-ahead log and be corrupted by it. SQLite resolves the link,
// so each generation keeps its own -wal/-shm.
import { existsSync, lstatSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

export const GENERATION_MARK = ".gen-";
export const TEMP_MARK = ".tmp-";

export function generationPath(replicaPath: string, id: string): string {
  return `${replicaPath}${GENERATION_MARK}${id}`;
}

/** The file the replica path currently points at, or undefined when there is none. */
export function currentGeneration(replicaPath: string): string | undefined {
  if (!existsSync(replicaPath)) return undefined;
  return realpathSync(replicaPath);
}

/**
 * Removes generations and temporary files the replica no longer points at
 * (left by earlier applies, including killed ones). Best effort: a file still
 * open elsewhere stays readable until closed, as unlink allows.
 */
export function removeStaleFiles(replicaPath: string): void {
  const dir = dirname(resolve(replicaPath));
  const base = basename(replicaPath);
  const keep = currentGeneration(replicaPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(base + GENERATION_MARK) && !name.startsWith(base + TEMP_MARK)) continue;
    const full = join(dir, name);
    if (keep !== undefined && (full === keep || full === keep + "-wal" || full === keep + "-shm")) continue;
    rmSync(full, { force: true });
  }
}

export function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
