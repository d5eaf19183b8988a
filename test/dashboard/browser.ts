// Launches Debian's Chromium (the `chromium` binary found on PATH) through
// playwright-core for the dashboard's end-to-end tests. A browser that cannot
// start fails the suite: it is never a reason to skip.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

export function findChromium(): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, "chromium");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error("no `chromium` on PATH: install Debian's chromium package (.ci/run does)");
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (e) {
    throw new Error(`chromium at ${executablePath} did not start: ${(e as Error).message.split("\n")[0]}`);
  }
}
