// A decision log whose destination cannot keep up: a FIFO whose reader reads
// nothing until the decisions are made. The log holds no more than its
// configured buffer, drops and counts the lines beyond it (the metric and a
// warning line), and every decision is still answered; once the reader reads,
// the lines it gets and the lines counted as dropped add up to the decisions.
// And the setting that bounds it.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/server/config.js";
import {
  createDecisionLog,
  DECISION_LOG_BUFFER_BYTES,
  MIN_DECISION_LOG_BUFFER_BYTES,
  type DecisionLogEntry,
} from "../../src/server/decision-log.js";
import { CapgateErrors } from "../../src/errors.js";
import { post, startTestServer, tempDir } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A FIFO with its read end open (so the log's open does not wait for a reader)
 * and nobody reading; read() starts reading and resolves with every line once
 * the writer closes.
 */
function unreadFifo(): { path: string; read: () => Promise<string[]> } {
  const tmp = tempDir("capgate-dlog-fifo-");
  cleanups.push(tmp.remove);
  const path = join(tmp.dir, "decisions.fifo");
  execFileSync("mkfifo", [path]);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return {
    path,
    read: async () => {
      const socket = new Socket({ fd, readable: true, writable: false });
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      await once(socket, "end");
      socket.destroy();
      return Buffer.concat(chunks).toString("utf8").split("\n").filter(Boolean);
    },
  };
}

/** A service logger keeping its lines. */
function serviceLog(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return {
    log: pino({ level: "warn" }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) }),
    lines,
  };
}

const entry = (i: number): DecisionLogEntry => ({
  decision_id: `d-${i}`,
  decision: "mfa.requirement",
  input: { tenant_id: "acme", user_id: `u-${i}` },
  result: { allow: true, reasons: [], mfa_required: false },
  policy_revision: "rev",
  replica_version: "snap@1",
  latency_ms: 0.02,
});

describe("decision log behind a destination that cannot keep up", () => {
  it("holds no more than its buffer, drops and counts the rest, and writes whole lines", async () => {
    const fifo = unreadFifo();
    const service = serviceLog();
    const cap = MIN_DECISION_LOG_BUFFER_BYTES;
    const log = createDecisionLog(fifo.path, service.log, { bufferBytes: cap });
    const n = 20_000; // about 4 MB of lines: far past the pipe's and the buffer's room
    let most = 0;
    for (let i = 0; i < n; i++) {
      log.write(entry(i));
      most = Math.max(most, log.buffered);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    expect(most).toBeGreaterThan(cap / 2);
    expect(most).toBeLessThanOrEqual(cap);
    expect(log.dropped).toBeGreaterThan(n / 2);
    const warning = service.lines.find((l) => l["level"] === 40);
    expect(warning?.["msg"]).toMatch(/cannot keep up; lines are dropped/);
    expect(warning?.["buffer_bytes"]).toBe(cap);

    const reading = fifo.read();
    await log.close();
    const lines = await reading;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length + log.dropped).toBe(n);
    const ids = lines.map((l) => (JSON.parse(l) as { decision_id: string }).decision_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("answers every decision of a sidecar whose log is not read, counting the dropped lines in the metric", async () => {
    const fifo = unreadFifo();
    const cap = MIN_DECISION_LOG_BUFFER_BYTES;
    // No replica: every decision is a fail-closed deny, and each is logged all the same.
    const server = await startTestServer(tempDir("capgate-dlog-srv-").dir, {
      decision_log: fifo.path,
      decision_log_buffer_bytes: cap,
    });
    let closed = false;
    cleanups.push(() => closed || server.close());
    const requests = 60;
    const perRequest = 100;
    const input = { tenant_id: "acme", user_id: "u-1" };
    let most = 0;
    for (let i = 0; i < requests; i++) {
      const r = await post(server.url, "/decide", {
        batch: Array.from({ length: perRequest }, () => ({ decision: "mfa.requirement", input })),
      });
      expect(r.status).toBe(200);
      const answers = r.json["batch"] as Array<Record<string, unknown>>;
      expect(answers).toHaveLength(perRequest);
      for (const a of answers) expect(a["allow"]).toBe(false);
      most = Math.max(most, server.decisionLog.buffered);
    }
    expect(most).toBeLessThanOrEqual(cap);
    const dropped = server.decisionLog.dropped;
    expect(dropped).toBeGreaterThan(0);
    const metrics = await (await fetch(server.url + "/metrics")).text();
    expect(metrics).toMatch(new RegExp(`^capgate_decision_log_dropped_lines ${dropped}$`, "m"));

    const reading = fifo.read();
    await server.close();
    closed = true;
    const lines = await reading;
    expect(lines.length + server.decisionLog.dropped).toBe(requests * perRequest);
  });
});

describe("decision_log_buffer_bytes", () => {
  it("defaults to 4 MiB, is read from the environment, and refuses less than the least buffer in one line", () => {
    expect(loadConfig({}).decision_log_buffer_bytes).toBe(DECISION_LOG_BUFFER_BYTES);
    expect(loadConfig({ env: { CAPGATE_DECISION_LOG_BUFFER_BYTES: "1048576" } }).decision_log_buffer_bytes).toBe(
      1048576,
    );
    let errors: string[] = [];
    try {
      loadConfig({ flags: { decision_log_buffer_bytes: 1000 } });
    } catch (e) {
      expect(e).toBeInstanceOf(CapgateErrors);
      errors = (e as CapgateErrors).errors.map((x) => x.format());
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`decision_log_buffer_bytes: must be at least ${MIN_DECISION_LOG_BUFFER_BYTES}`);
  });
});
