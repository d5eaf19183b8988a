// `capgate migrate up [N] | down [N] | goto V | force V | status`: the
// migration runner on the command line, against a server (--database-url or
// DATABASE_URL) or the embedded primary.
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import {
  defaultMigrationsDir,
  forceVersion,
  loadMigrations,
  migrate,
  migrationLabel,
  migrationStatus,
  type MigrateTarget,
} from "../../migrate/index.js";
import { addPrimaryOptions, primaryOptionsFromFlags, withPrimary, type PrimaryFlags } from "../../primary/index.js";

interface Flags extends PrimaryFlags {
  migrations?: string;
}

function count(arg: string | undefined, what: string, allowZero = false): number | undefined {
  if (arg === undefined) return undefined;
  if (!/^\d+$/.test(arg) || (!allowZero && Number(arg) === 0) || !Number.isSafeInteger(Number(arg))) {
    throw new CapgateError(
      "invalid_input",
      `${what} must be a ${allowZero ? "non-negative" : "positive"} integer, got '${arg}'`,
    );
  }
  return Number(arg);
}

function withCommonOptions(cmd: Command): Command {
  return addPrimaryOptions(cmd).option(
    "--migrations <dir>",
    "migrations folder (default: the one shipped with capgate)",
  );
}

/**
 * The migrations folder, checked before the primary is opened: a broken
 * folder should not first create an embedded primary or reach a server.
 */
function dirOption(flags: Flags): { dir: string } {
  const dir = flags.migrations ?? defaultMigrationsDir();
  loadMigrations(dir);
  return { dir };
}

async function run(flags: Flags, target: MigrateTarget): Promise<void> {
  const dir = dirOption(flags);
  await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
    const result = await migrate(primary, target, {
      ...dir,
      log: (line) => process.stdout.write(line + "\n"),
    });
    const at = result.to ?? "none";
    if (result.steps.length === 0) process.stdout.write(`no change: ${primary.location} is at version ${at}\n`);
    else process.stdout.write(`${primary.location} is now at version ${at}\n`);
  });
}

export function registerMigrate(program: Command): void {
  const group = program
    .command("migrate")
    .description("apply or revert the primary's schema migrations (golang-migrate compatible)");

  withCommonOptions(group.command("up [n]"))
    .description("apply the next N pending migrations (all when N is omitted)")
    .action(async (n: string | undefined, flags: Flags) => {
      await run(flags, { up: count(n, "N") ?? "all" });
    });

  withCommonOptions(group.command("down [n]"))
    .description("revert the last N applied migrations (1 when N is omitted)")
    .option("--all", "revert every applied migration (drops the legacy tables too)")
    .action(async (n: string | undefined, flags: Flags & { all?: boolean }) => {
      if (flags.all === true && n !== undefined) throw new CapgateError("invalid_input", "give either N or --all, not both");
      await run(flags, { down: flags.all === true ? "all" : (count(n, "N") ?? 1) });
    });

  withCommonOptions(group.command("goto <version>"))
    .description("apply or revert migrations until VERSION is the applied one (0: none)")
    .action(async (v: string, flags: Flags) => {
      await run(flags, { goto: count(v, "VERSION", true)! });
    });

  withCommonOptions(group.command("force <version>"))
    .description("record VERSION as applied and clean without running anything (after fixing a dirty state)")
    .action(async (v: string, flags: Flags) => {
      const version = count(v, "VERSION", true)!;
      const dir = dirOption(flags);
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        await forceVersion(primary, version === 0 ? null : version, dir);
        process.stdout.write(`${primary.location} marked at version ${version === 0 ? "none" : version} (clean)\n`);
      });
    });

  withCommonOptions(group.command("status"))
    .description("show the applied version and which migrations are pending")
    .action(async (flags: Flags) => {
      const dir = dirOption(flags);
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        const s = await migrationStatus(primary, dir);
        const version = s.state.version ?? "none";
        const ahead = (s.state.version ?? 0) > (s.latest ?? 0) ? " (ahead of this capgate's migrations)" : "";
        const dirty = s.state.dirty ? " (DIRTY: a migration failed; see 'capgate migrate force --help')" : "";
        const out = [
          `primary: ${primary.kind === "pglite" ? "embedded " : ""}${s.location}`,
          `version: ${version} of ${s.latest ?? "none"}${ahead}${dirty}`,
          ...s.migrations.map((m) => `  ${m.applied ? "applied" : "pending"}  ${migrationLabel(m)}`),
        ];
        process.stdout.write(out.join("\n") + "\n");
      });
    });
}
