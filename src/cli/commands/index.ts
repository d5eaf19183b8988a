// The subcommand groups of `capgate`, in the order `--help` lists them. Each
// group lives in its own file and registers itself on the program.
import type { Command } from "commander";
import { registerAdmin } from "./admin.js";
import { registerDemo } from "./demo.js";
import { registerMigrate } from "./migrate.js";
import { registerPolicyCommands } from "./policy.js";
import { registerQuickstart } from "./quickstart.js";
import { registerRelay } from "./relay.js";
import { registerServe } from "./serve.js";
import { registerSnapshot } from "./snapshot.js";
import { registerSync } from "./sync.js";
import { registerTotp } from "./totp.js";

export type CommandGroup = (program: Command) => void;

export const commandGroups: CommandGroup[] = [
  registerQuickstart,
  registerServe,
  registerMigrate,
  registerDemo,
  registerPolicyCommands,
  registerSnapshot,
  registerSync,
  registerRelay,
  registerTotp,
  registerAdmin,
];
