// Telling a damaged replica file from every other SQLite failure, and checking
// a file's structure. A corrupt replica must never be read again (its answers
// cannot be trusted) and must be replaced by a fresh snapshot, so corruption is
// named separately from a busy lock or a missing file, which may pass.
import type Database from "better-sqlite3";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** SQLite's result codes for a damaged or foreign file (extended codes start with these). */
const CORRUPTION_CODES = ["SQLITE_CORRUPT", "SQLITE_NOTADB"];

/** True when `e` says the database file is damaged (SQLITE_CORRUPT*, SQLITE_NOTADB, "malformed"). */
export function isCorruption(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && CORRUPTION_CODES.some((c) => code.startsWith(c))) return true;
  const message = (e as { message?: unknown }).message;
  return typeof message === "string" && /malformed|not a database|file is not a database/i.test(message);
}

/**
 * Runs `PRAGMA quick_check` (the b-tree structure and index/row agreement, in
 * time linear in the file's size) and answers null when the file is sound, or
 * the first problems SQLite names on one line. A check that cannot even read
 * the file counts as a problem. Call it outside a transaction.
 */
export function quickCheck(db: Database.Database, maxProblems = 3): string | null {
  let rows: unknown[];
  try {
    // The pages the connection has cached are dropped first, and those the check read after:
    // a page damaged on disk after it was cached would pass a check of the cache, and a
    // whole-file walk must not crowd out the pages decisions use.
    db.pragma("shrink_memory");
    rows = db.pragma(`quick_check(${maxProblems})`, { simple: false }) as unknown[];
    db.pragma("shrink_memory");
  } catch (e) {
    return `quick_check failed: ${(e as Error).message}`;
  }
  const lines = rows.map((r) => String(Object.values(r as Record<string, unknown>)[0]));
  if (lines.length === 1 && lines[0] === "ok") return null;
  return `quick_check: ${lines.join("; ")}`;
}

/** The note beside a replica generation file saying a reader found it damaged. */
const damageNote = (file: string): string => `${file}.damaged`;

/**
 * Leaves a note beside the generation file that a reader found it damaged, so
 * whatever writes the replica (`sync --follow`, a NATS follower, the
 * quickstart's follower), in this process or another, replaces it with a
 * fresh snapshot even when its own check did not see the damage. Best effort:
 * a reader that may not write there says so in its own log.
 */
export function reportDamage(file: string, reason: string): void {
  writeFileSync(damageNote(file), reason.replace(/\s+/g, " ") + "\n");
}

/** Why a reader reported `file` damaged, or undefined when none did. */
export function reportedDamage(file: string): string | undefined {
  const note = damageNote(file);
  if (!existsSync(note)) return undefined;
  try {
    return readFileSync(note, "utf8").trim() || "reported damaged by a reader";
  } catch {
    return "reported damaged by a reader";
  }
}
