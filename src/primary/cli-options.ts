// The command-line options every command that talks to the primary shares,
// so `migrate`, `demo`, `snapshot export` and `serve` spell them the same way.
import type { Command } from "commander";
import { DEFAULT_DATA_DIR, primaryOptionsFrom, type OpenPrimaryOptions } from "./open.js";

export interface PrimaryFlags {
  databaseUrl?: string;
  dataDir?: string;
}

export function addPrimaryOptions(cmd: Command): Command {
  return cmd
    .option("--database-url <url>", "PostgreSQL primary (default: $DATABASE_URL, else the embedded engine)")
    .option("--data-dir <dir>", `embedded primary directory when no URL is given (default: ./${DEFAULT_DATA_DIR})`);
}

export function primaryOptionsFromFlags(flags: PrimaryFlags): OpenPrimaryOptions {
  return primaryOptionsFrom(flags);
}
