// `capgate quickstart`: the embedded, zero-setup demo behind `npm start` (see
// src/quickstart/run.ts). It runs until Ctrl-C (SIGINT) or SIGTERM.
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { runQuickstart } from "../../quickstart/run.js";

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function registerQuickstart(program: Command): void {
  program
    .command("quickstart")
    .description("migrate and seed an embedded primary, build the replica and the bundle, and serve the demo (npm start)")
    .option("--port <n>", "port to serve on; 0 picks a free one (default 8181)", port)
    .option("--host <host>", "loopback address to bind (default 127.0.0.1)")
    .option("--dir <dir>", "state directory: primary, replica, bundle, dev keys (default ./.capgate)")
    .action(async (flags: { port?: number; host?: string; dir?: string }) => {
      const bin = fileURLToPath(new URL("../../../bin/capgate.js", import.meta.url));
      // Short from the repository root (where `npm start` runs), absolute elsewhere.
      const rel = relative(process.cwd(), bin);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      try {
        await runQuickstart({
          ...(flags.dir !== undefined ? { stateDir: flags.dir } : {}),
          ...(flags.host !== undefined ? { host: flags.host } : {}),
          port: flags.port ?? 8181,
          codeCommand: `node ${rel.startsWith("..") || isAbsolute(rel) ? bin : rel} demo totp-code`,
          out: (line) => process.stdout.write(line + "\n"),
          signal: controller.signal,
        });
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });
}
