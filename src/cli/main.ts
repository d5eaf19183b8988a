// The `capgate` command line: one program, one subcommand group per file in
// ./commands, only the group asked for loaded (program.ts). bin/capgate.js runs
// this, or the serve bundle (serve-main.ts) for `capgate serve`.
import { commandGroups } from "./commands/index.js";
import { runProgram } from "./program.js";

export async function main(argv: string[]): Promise<void> {
  await runProgram(argv, commandGroups);
}
