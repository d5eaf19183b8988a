// The entry of the serve bundle (scripts/build.mjs bundles it into dist/serve/):
// the `capgate` program with `serve` alone, statically imported, so the bundle
// holds the sidecar and nothing of the other commands (compiler, PGlite, admin API).
import { registerServe } from "./commands/serve.js";
import type { CommandGroup } from "./commands/index.js";
import { runProgram } from "./program.js";

const serveOnly: CommandGroup[] = [{ name: "serve", summary: "run the sidecar", load: () => Promise.resolve(registerServe) }];

export async function run(argv: string[]): Promise<void> {
  await runProgram(argv, serveOnly);
}
