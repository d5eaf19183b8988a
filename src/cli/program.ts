// The `capgate` program over a list of command groups, only the group asked
// for loaded: main.ts runs it over every group, the serve bundle (serve-main.ts)
// over `serve` alone. Errors reach the user as one line (`code: message`) and a
// non-zero exit, never as a stack trace; CAPGATE_DEBUG=1 shows the stack.
import { Command, CommanderError } from "commander";
import { isCapgateError, CapgateErrors } from "../errors.js";
import { setApplicationName } from "../primary/index.js";
import type { CommandGroup } from "./commands/index.js";

/**
 * The program, with the command group `argv` asks for loaded and registered
 * in full; every other group is listed by name and summary only.
 */
export async function buildProgram(argv: readonly string[], groups: readonly CommandGroup[]): Promise<Command> {
  const wanted = requestedCommand(argv.slice(2));
  const program = new Command("capgate")
    .description("Authorization sidecar: Rego policies compiled to WebAssembly, answering from a SQLite replica")
    .version("0.1.0")
    .showHelpAfterError(false)
    .exitOverride()
    // PostgreSQL connections are named after the command that made them (capgate-serve, capgate-sync ...).
    .hook("preAction", (_program, action) => setApplicationName(topCommand(action).name()));
  for (const group of groups) {
    if (group.name === wanted) (await group.load())(program);
    else program.command(group.name).summary(group.summary);
  }
  return program;
}

/** The top-level command named by the arguments (`serve`, or `serve` in `help serve`), if any. */
function requestedCommand(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith("-"));
  return words[0] === "help" ? words[1] : words[0];
}

/** The subcommand directly under `capgate` that `cmd` belongs to ("sync" for `sync prune`). */
function topCommand(cmd: Command): Command {
  let c = cmd;
  while (c.parent !== null && c.parent.parent !== null) c = c.parent;
  return c;
}

export function formatError(e: unknown): string {
  if (isCapgateError(e)) return `capgate: ${e.format()}`;
  if (e instanceof CapgateErrors) return e.errors.map((x) => `capgate: ${x.format()}`).join("\n");
  if (e instanceof Error) return `capgate: ${e.message.split("\n")[0]}`;
  return `capgate: ${String(e)}`;
}

/** Runs the program over `groups` with `argv` (process.argv's shape); sets process.exitCode on failure. */
export async function runProgram(argv: string[], groups: readonly CommandGroup[]): Promise<void> {
  try {
    const program = await buildProgram(argv, groups);
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its message (or the help/version text).
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(formatError(e) + "\n");
    if (process.env["CAPGATE_DEBUG"] && e instanceof Error && e.stack) process.stderr.write(e.stack + "\n");
    process.exitCode = 1;
  }
}
