// The subcommand groups of `capgate`, in the order `--help` lists them. Each
// group lives in its own file and registers itself on the program.
import type { Command } from "commander";
import { registerPolicyCommands } from "./policy.js";

export type CommandGroup = (program: Command) => void;

export const commandGroups: CommandGroup[] = [registerPolicyCommands];
