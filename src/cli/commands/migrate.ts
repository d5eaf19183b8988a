// `capgate migrate up [N] | down [N] | goto V | force V | status`: the
// migration runner on the command line, against a server (--database-url or
// DATABASE_URL) or the embedded primary.
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { forceVersion, migrate, migrationLabel, migrationStatus, type MigrateTarget } from "../../migrate/index.js";
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

function dirOption(flags: Flags): { dir?: string } {
  return flags.migrations !== undefined ? { dir: flags.migrations } : {};
}

async function run(flags: Flags, target: MigrateTarget): Promise<void> {
  await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
    const result = await migrate(primary, target, {
      ...dirOption(flags),
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
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        await forceVersion(primary, version === 0 ? null : version, dirOption(flags));
        process.stdout.write(`${primary.location} marked at version ${version === 0 ? "none" : version} (clean)\n`);
      });
    });

  withCommonOptions(group.command("status"))
    .description("show the applied version and which migrations are pending")
    .action(async (flags: Flags) => {
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        const s = await migrationStatus(primary, dirOption(flags));
        const version = s.state.version ?? "none";
        const out = [
          `primary: ${primary.kind === "pglite" ? "embedded " : ""}${s.location}`,
          `version: ${version}${s.state.dirty ? " (DIRTY: a migration failed; see 'capgate migrate force')" : ""}` +
            ` of ${s.latest ?? "none"}`,
          ...s.migrations.map((m) => `  ${m.applied ? "applied" : "pending"}  ${migrationLabel(m)}`),
        ];
        process.stdout.write(out.join("\n") + "\n");
      });
    });
}
