// Runs the installed capgate CLI (bin/capgate.js over dist/) in a child
// process, the way a user runs it, and collects its exit code and output.
// `npm test` builds dist/ first; running vitest alone needs `npm run build`.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const capgateBin = fileURLToPath(new URL("../../bin/capgate.js", import.meta.url));
const builtMain = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** The argv prefix that runs capgate; fails with a clear message when dist/ is not built. */
export function capgateCommand(): string[] {
  if (!existsSync(builtMain)) throw new Error("dist/ is not built: run `npm run build` (npm test does it first)");
  return [process.execPath, capgateBin];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The user's environment must not leak a primary into the test.
  delete env["DATABASE_URL"];
  delete env["CAPGATE_DEBUG"];
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const [node, bin] = capgateCommand() as [string, string];
    const child = spawn(node, [bin, ...args], { cwd: options.cwd ?? root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
