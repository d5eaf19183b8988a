// Temporary migration folders for runner tests: some of the shipped
// migrations plus hand-written (often deliberately broken) files.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const SHIPPED_MIGRATIONS = fileURLToPath(new URL("../../migrations/", import.meta.url));

export interface TempMigrations {
  dir: string;
  write(name: string, sql: string): void;
  remove(): void;
}

/** A temp folder holding the shipped migrations numbered <= `upTo`, plus `files`. */
export function tempMigrations(upTo: number, files: Record<string, string> = {}): TempMigrations {
  const dir = mkdtempSync(join(tmpdir(), "capgate-test-migrations-"));
  for (const f of readdirSync(SHIPPED_MIGRATIONS)) {
    const v = Number(/^(\d+)_/.exec(f)?.[1]);
    if (v <= upTo) copyFileSync(join(SHIPPED_MIGRATIONS, f), join(dir, f));
  }
  const write = (name: string, sql: string): void => writeFileSync(join(dir, name), sql);
  for (const [name, sql] of Object.entries(files)) write(name, sql);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
