// An exclusive claim on the embedded primary's data directory. PGlite has no
// postmaster to arbitrate between processes, so two processes opening the same
// directory would corrupt it; the second one must be refused instead.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { CapgateError } from "../errors.js";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new CapgateError("database_error", `cannot create lock file ${lockPath}: ${(e as Error).message}`);
  }
}

/** Claims `<dataDir>.lock`; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(lockPath)) {
      return () => rmSync(lockPath, { force: true });
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
    } catch {
      // Removed between our attempt and the read: try again.
      continue;
    }
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
      const who = holder === process.pid ? "this process" : `process ${holder}`;
      throw new CapgateError(
        "database_error",
        `embedded primary ${dataDir} is in use by ${who}; stop it or pass --database-url`,
      );
    }
    // Left behind by a process that died without closing: reclaim it.
    rmSync(lockPath, { force: true });
  }
  throw new CapgateError("database_error", `cannot lock embedded primary ${dataDir} (${lockPath} keeps reappearing)`);
}
