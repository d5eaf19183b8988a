// `capgate relay`'s numeric flags: a value it cannot use is refused in one
// line naming the flag, before the relay touches PostgreSQL or NATS (the URLs
// given point nowhere).
import { describe, expect, it } from "vitest";
import { runCapgate } from "./helpers.js";

async function refusal(extra: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = runCapgate(["relay", "--database-url", "postgres://nobody@127.0.0.1:1/none", "--nats", "nats://127.0.0.1:1", ...extra]);
  const code = await new Promise<number | null>((resolve) => child.proc.once("exit", (c) => resolve(c)));
  return { code, stderr: child.stderr() };
}

describe("capgate relay flags", () => {
  for (const [flag, value] of [
    ["--pass-gap", "soon"],
    ["--pass-gap", "-5"],
    ["--pass-gap", "2.5"],
    ["--poll-interval", "fast"],
  ] as const) {
    it(`refuses ${flag} ${value} in one line`, async () => {
      const r = await refusal([flag, value]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^capgate: invalid_input: ${flag} must be an integer`));
    });
  }
});
