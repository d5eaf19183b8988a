// The `capgate` command line: one program, one subcommand group per file in
// ./commands. Errors reach the user as one line (`code: message`) and a
// non-zero exit, never as a stack trace; CAPGATE_DEBUG=1 shows the stack.
import { Command, CommanderError } from "commander";
import { isCapgateError, CapgateErrors } from "../errors.js";
import { setApplicationName } from "../primary/index.js";
import { commandGroups } from "./commands/index.js";

export function buildProgram(): Command {
  const program = new Command("capgate")
    .description("Authorization sidecar: Rego policies compiled to WebAssembly, answering from a SQLite replica")
    .version("0.1.0")
    .showHelpAfterError(false)
    .exitOverride()
    // PostgreSQL connections are named after the command that made them (capgate-serve, capgate-sync ...).
    .hook("preAction", (_program, action) => setApplicationName(topCommand(action).name()));
  for (const register of commandGroups) register(program);
  return program;
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

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
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
