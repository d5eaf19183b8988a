// decisionLine(): what a decision log line holds, and that no key mask() hides
// reaches the line, whichever way the line is built (from values, or from JSON
// text the caller made already); and the log file's reopening after rotation.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createDecisionLog, decisionLine, isoTime, type DecisionLogEntry } from "../../src/server/decision-log.js";

const time = "2026-11-24T12:00:00.000Z";

function entry(input: unknown, result: Record<string, unknown>, withJson: boolean): DecisionLogEntry {
  return {
    decision_id: "d-1",
    decision: "token.validate",
    input,
    result,
    ...(withJson ? { resultJson: JSON.stringify(result) } : {}),
    policy_revision: "rev",
    replica_version: "snap@1",
    latency_ms: 0.01234,
  };
}

describe("decision log lines", () => {
  for (const withJson of [true, false]) {
    const how = withJson ? "given the result's JSON" : "from the result's value";
    it(`keeps a line with nothing to mask as it is (${how})`, () => {
      const line = JSON.parse(decisionLine(entry({ tenant_id: "acme" }, { allow: true, reasons: [] }, withJson), time));
      expect(line).toEqual({
        time: "2026-11-24T12:00:00.000Z",
        decision_id: "d-1",
        decision: "token.validate",
        input: { tenant_id: "acme" },
        result: { allow: true, reasons: [] },
        policy_revision: "rev",
        replica_version: "snap@1",
        latency_ms: 0.012,
      });
    });
    it(`masks secret keys at any depth and in any case (${how})`, () => {
      const result = { allow: false, echo: { Secret: "s3", nested: [{ CODE: "123456" }] }, note: 'a value "token": stays' };
      const line = JSON.parse(decisionLine(entry({ tenant_id: "acme", token: "eyJ.a.b" }, result, withJson), time));
      expect(line.input).toEqual({ tenant_id: "acme", token: "[masked]" });
      expect(line.result).toEqual({ allow: false, echo: { Secret: "[masked]", nested: [{ CODE: "[masked]" }] }, note: 'a value "token": stays' });
    });
    it(`masks a key whose lower case is a secret key only through Unicode (${how})`, () => {
      // U+212A KELVIN SIGN lower-cases to an ASCII "k": "to\u212Aen" is "token" to mask().
      const key = "to\u212Aen";
      const line = JSON.parse(decisionLine(entry({ tenant_id: "acme" }, { allow: false, [key]: "eyJ.a.b" }, withJson), time));
      expect(line.result[key]).toBe("[masked]");
    });
  }
});

describe("decision log time", () => {
  it("writes every millisecond as Date#toISOString does, across second, day and year boundaries", () => {
    const starts = [Date.UTC(2026, 10, 24, 12, 0, 0), Date.UTC(2026, 11, 31, 23, 59, 59), Date.UTC(1969, 11, 31, 23, 59, 59), 0];
    for (const start of starts)
      for (let ms = start - 1500; ms < start + 1500; ms += 7) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});

describe("decision log file", () => {
  const quiet = pino({ level: "silent" });
  const one = (id: string): DecisionLogEntry => ({ ...entry({ tenant_id: "acme" }, { allow: true, reasons: [] }, true), decision_id: id });
  const ids = (file: string): string[] =>
    readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { decision_id: string }).decision_id);

  it("reopens its file by path, so the lines before a rotation stay in the rotated file", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "capgate-dlog-"));
    try {
      const file = join(tmp, "decisions.log");
      const log = createDecisionLog(file, quiet);
      log.write(one("before-1"));
      await log.flush();
      renameSync(file, `${file}.1`);
      log.write(one("before-2")); // made before the reopen: belongs with the rotated file
      log.reopen();
      log.write(one("after-1"));
      await log.close();
      expect(ids(`${file}.1`)).toEqual(["before-1", "before-2"]);
      expect(ids(file)).toEqual(["after-1"]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("keeps writing to the file it has when the path cannot be opened again", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "capgate-dlog-"));
    try {
      const dir = join(tmp, "logs");
      mkdirSync(dir);
      const file = join(dir, "decisions.log");
      const log = createDecisionLog(file, quiet);
      log.write(one("a"));
      await log.flush();
      renameSync(dir, join(tmp, "moved"));
      log.reopen(); // the directory is gone: the open file carries on
      log.write(one("b"));
      await log.close();
      expect(ids(join(tmp, "moved", "decisions.log"))).toEqual(["a", "b"]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
