// `npm run bench:decision-log -- [--lines N] [--lines-per-second R] [--reader-bytes-per-second B] [--buffer-bytes C]`:
// the decision log's memory alone. Writes N decision-log lines (default
// 500,000) through createDecisionLog as decisions do (a turn of the event
// loop every 100 lines; at R lines a second with --lines-per-second, as
// the realistic bench's soak makes about 30,000), to a file, or with
// --reader-bytes-per-second to a
// FIFO read at that rate (a destination that cannot keep up). Prints, after a
// full GC, RSS, V8's heap used and committed, its young generation (new
// space), external memory, the bytes the log holds and the lines it dropped,
// at 10,000 lines, every 100,000, and after the flush; and the most RSS seen.
// Run with `node --expose-gc --import tsx` so the GC is real; add
// --max-semi-space-size=2 to see the young generation's share of the growth.
import { execFileSync } from "node:child_process";
import { constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getHeapSpaceStatistics } from "node:v8";
import pino from "pino";
import { createDecisionLog, DECISION_LOG_BUFFER_BYTES, type DecisionLog } from "../src/server/decision-log.js";
import { arg } from "./args.js";

const LINES = arg("lines", 500_000);
const READER_BPS = arg("reader-bytes-per-second", 0);
const RATE = arg("lines-per-second", 0);
const BUFFER_BYTES = arg("buffer-bytes", DECISION_LOG_BUFFER_BYTES);

const mib = (b: number): string => (b / 1048576).toFixed(1);

function report(tag: string, log: DecisionLog): void {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
  process.stdout.write(
    `${tag.padEnd(12)} RSS ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)} / committed ${mib(m.heapTotal)} (new space ${mib(newSpace)}), ` +
      `external ${mib(m.external)}, log holds ${mib(log.buffered)} MiB, dropped ${log.dropped} lines\n`,
  );
}

/** A FIFO whose read end takes `bps` bytes a second, in 20 ms steps. */
function slowFifo(dir: string, bps: number): { path: string; stop: () => void } {
  const path = join(dir, "decisions.fifo");
  execFileSync("mkfifo", [path]);
  const socket = new Socket({
    fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
  let allowance = 0;
  socket.on("data", (c: Buffer) => {
    allowance -= c.length;
    if (allowance <= 0) socket.pause();
  });
  const timer = setInterval(() => {
    allowance = Math.min(allowance + bps / 50, bps / 50);
    if (allowance > 0) socket.resume();
  }, 20);
  return { path, stop: () => (clearInterval(timer), socket.destroy()) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "capgate-dlog-mem-"));
  const fifo = READER_BPS > 0 ? slowFifo(dir, READER_BPS) : null;
  const log = createDecisionLog(fifo?.path ?? join(dir, "decisions.log"), pino({ level: "warn" }), {
    bufferBytes: BUFFER_BYTES,
  });
  const result = { allow: true, reasons: [], ttl_seconds: 600 };
  let most = 0;
  const t0 = performance.now();
  for (let i = 0; i < LINES; i++) {
    if (i === 10_000) report("10 k", log);
    else if (i > 0 && i % 100_000 === 0) report(`${i / 1000} k`, log);
    if (i % 100 === 0) {
      const ahead = RATE > 0 ? (i / RATE) * 1000 - (performance.now() - t0) : 0;
      await new Promise((r) => (ahead > 1 ? setTimeout(r, ahead) : setImmediate(r)));
      most = Math.max(most, process.memoryUsage.rss());
    }
    const input = {
      tenant_id: `bt-${i % 10_000}`,
      user_id: `bu-${i % 100_000}`,
      token_type: "access",
      requested_ttl_seconds: 600,
      auth: { methods: ["pwd", "totp"] },
    };
    log.write({
      decision_id: `d-${i}`,
      decision: "token.issue",
      input,
      result,
      policy_revision: "rev-1",
      replica_version: "v1",
      latency_ms: 0.03,
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  report("end", log);
  if (fifo !== null)
    fifo.stop(); // the rest is dropped or fails: what stays is what is measured
  else await log.flush();
  report("flushed", log);
  process.stdout.write(
    `${LINES} lines in ${seconds.toFixed(1)} s; most RSS seen ${mib(most)} MiB; buffer ${BUFFER_BYTES} bytes\n`,
  );
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
