// `capgate quickstart`: the embedded, zero-setup demo behind `npm start` (see
// src/quickstart/run.ts). It runs until Ctrl-C (SIGINT) or SIGTERM. Flags are
// checked before anything is set up, and the set-up code (the compiler, the
// embedded primary) is loaded only when the command runs, never for --help.
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { isLoopback } from "../../server/config.js";

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
      if (flags.host !== undefined && !isLoopback(flags.host)) throw nonLoopback(flags.host);
      const { runQuickstart } = await import("../../quickstart/run.js");
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

/** The demo serves dev keys and an admin-less sidecar: it binds loopback only. */
function nonLoopback(host: string): CapgateError {
  return new CapgateError(
    "config_error",
    `--host ${host}: quickstart binds a loopback address only (it serves dev keys without an admin token); use --host 127.0.0.1, --host ::1 or --host localhost, with --port to choose the port; to serve other machines, run \`capgate serve\` with --allow-non-loopback and --admin-token`,
  );
}
