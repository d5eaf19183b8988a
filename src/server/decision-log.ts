// The decision log: one JSON line per decision (time, id, decision, masked
// input, result, policy revision, replica version, latency). Codes, secrets,
// tokens and assertions are masked before the line is built, so no code path
// can write them.
//
// A decision only appends its line to a list; the list is handed to the
// writer (sonic-boom, asynchronous) as one chunk when it holds FLUSH_BYTES or
// every FLUSH_MS, so a busy sidecar makes a few writes a second instead of one
// system call per decision. (sonic-boom's own buffering measures its whole
// buffer on every write, which costs more than the line as the buffer grows.)
// The log never holds more than its buffer (`decision_log_buffer_bytes`, a
// few MiB by default): a destination that cannot keep up has chunks beyond it
// dropped and their lines counted (capgate_decision_log_dropped_lines, and a
// warning line at the first drop and then every WARN_MS while drops go on).
// A large buffer (64 MiB before) was what made a soak's RSS grow: the lines
// waiting for the disk are V8 strings, and the old space grown to hold them
// stays committed after they are written (`npm run bench:decision-log`). A log that fails is reported once on the
// service log. Neither slows or fails a decision. A crash loses at most the
// last FLUSH_MS of lines.
import { openSync } from "node:fs";
import pino, { type Logger } from "pino";
import { SECRET_KEYS } from "../secrets.js";

const MASKED = "[masked]";
/** Keys whose values never reach the log, at any depth: the stored secrets, and the request fields carrying credentials. */
const MASKED_KEYS: ReadonlySet<string> = new Set([...SECRET_KEYS, "token", "code", "assertion", "password", "authorization", "admin_token"]);

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;
/** How often a warning line says how many lines were dropped since the last one. */
const WARN_MS = 60_000;
/**
 * The default of `decision_log_buffer_bytes`: 4 MiB, about 14,000 lines of 300 bytes, so
 * a destination may stall for half a second at 30,000 decisions a second before lines drop.
 */
export const DECISION_LOG_BUFFER_BYTES = 4 * 1024 * 1024;
/** The least buffer accepted: four chunks, so a write in flight and the next ones fit. */
export const MIN_DECISION_LOG_BUFFER_BYTES = 4 * FLUSH_BYTES;

export function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = MASKED_KEYS.has(k.toLowerCase()) ? MASKED : mask(v);
  return out;
}

export interface DecisionLogEntry {
  decision_id: string;
  decision: string;
  input: unknown;
  /** The input as JSON text when the caller has it already (used unless it holds a masked key). */
  inputJson?: string;
  result: unknown;
  /** The result as JSON text when the caller has it already (used unless it holds a masked key). */
  resultJson?: string;
  policy_revision: string | null;
  replica_version: string | null;
  latency_ms: number;
}

export interface DecisionLog {
  write(entry: DecisionLogEntry): void;
  /** Lines dropped because the destination could not keep up. */
  readonly dropped: number;
  /** Bytes of lines held now, waiting for the destination (never more than the buffer). */
  readonly buffered: number;
  /** Resolves once every line written so far has reached the destination. */
  flush(): Promise<void>;
  /**
   * Opens the file anew by its path (after logrotate renamed it, say; `capgate
   * serve` calls it on SIGHUP). Lines made before go to the old file.
   */
  reopen(): void;
  close(): Promise<void>;
}

/**
 * A key of MASKED_KEYS anywhere in JSON text. Case-insensitive as mask()'s
 * toLowerCase() is: with the `u` flag, case folding also maps the Kelvin sign,
 * whose lower case is an ASCII "k", so no key mask() would hide escapes it.
 * It may match more than mask() would (a string value), which only costs time.
 */
const SECRET_KEY_IN_JSON = new RegExp(`"(${[...MASKED_KEYS].join("|")})"\\s*:`, "iu");

/** The value as JSON with secrets masked; JSON text already made is used as it is when it holds no maskable key. */
function maskedJson(value: unknown, json: string = JSON.stringify(value)): string {
  return SECRET_KEY_IN_JSON.test(json) ? JSON.stringify(mask(value)) : json;
}

let isoSecond = NaN;
let isoPrefix = "";

/**
 * Epoch milliseconds as Date#toISOString() writes them. The text up to the
 * second is made once a second; a busy sidecar logs thousands of lines in it,
 * and making the whole text for each was a quarter of a line's cost.
 */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    isoSecond = second;
  }
  const milli = ms - second * 1000;
  return `${isoPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

/** Strings quoted by quoted(); emptied when full, so a replica version that moves on cannot grow it. */
const quotedTexts = new Map<string, string>();
const QUOTED_TEXTS = 256;

/**
 * A string as JSON, for the ones nearly every line repeats (the decision
 * name, the policy revision, the replica version): quoted once each rather
 * than by a JSON.stringify per line, which cost about 0.1 µs a string.
 */
function quoted(text: string | null): string {
  if (text === null) return "null";
  let json = quotedTexts.get(text);
  if (json === undefined) {
    if (quotedTexts.size >= QUOTED_TEXTS) quotedTexts.clear();
    json = JSON.stringify(text);
    quotedTexts.set(text, json);
  }
  return json;
}

/** One log line: the entry with its input and result masked, time (ISO 8601 text) first. */
export function decisionLine(entry: DecisionLogEntry, time: string): string {
  return (
    `{"time":"${time}","decision_id":${JSON.stringify(entry.decision_id)},"decision":${quoted(entry.decision)}` +
    `,"input":${maskedJson(entry.input, entry.inputJson)},"result":${maskedJson(entry.result, entry.resultJson)}` +
    `,"policy_revision":${quoted(entry.policy_revision)},"replica_version":${quoted(entry.replica_version)}` +
    `,"latency_ms":${Math.round(entry.latency_ms * 1000) / 1000}}\n`
  );
}

/** pino's asynchronous file destination (sonic-boom). */
type Destination = ReturnType<typeof pino.destination>;

const NO_LOG: DecisionLog = { dropped: 0, buffered: 0, write() {}, reopen() {}, flush: () => Promise.resolve(), close: () => Promise.resolve() };
const FAILED = "decision log write failed; decisions continue without it";

export interface DecisionLogOptions {
  /** Most bytes of lines held for a destination that lags (`decision_log_buffer_bytes`). */
  bufferBytes?: number;
}

export function createDecisionLog(target: string, serviceLog: Logger, options: DecisionLogOptions = {}): DecisionLog {
  if (target === "off") return NO_LOG;
  const bufferBytes = Math.max(MIN_DECISION_LOG_BUFFER_BYTES, options.bufferBytes ?? DECISION_LOG_BUFFER_BYTES);
  // The file is opened here, not by sonic-boom: one that never opened stays registered
  // with pino's exit handler, whose flushSync then throws as the process exits.
  const open = (): number => (target === "stdout" ? 1 : openSync(target, "a"));
  let fd: number;
  try {
    fd = open();
  } catch (e) {
    serviceLog.error({ err: (e as Error).message, target }, FAILED);
    return NO_LOG;
  }
  let broken = false;
  let dropped = 0;
  let warned = { at: 0, dropped: 0 };
  let pending: string[] = [];
  let pendingChars = 0;
  /** Bytes handed to the destinations and not yet written. */
  let held = 0;
  const fail = (failed: Destination, e: Error): void => {
    // An error on a file reopen() has already replaced does not turn the log off.
    if (broken || failed !== dest) return;
    serviceLog.error({ err: e.message, target }, FAILED);
    broken = true;
    pending = [];
    // Destroyed, so pino's exit handler does not try the failing writes again as the process exits.
    try {
      dest.destroy();
    } catch {
      // already closing
    }
  };
  const destination = (to: number): Destination => {
    // minLength 1: each chunk is written at once, yet flush() waits for the writes in flight.
    // Each chunk is larger than sonic-boom's maxWrite, so it is queued and written whole.
    // The pending list is held too, so sonic-boom's share of the buffer leaves room for it.
    const d = pino.destination({ dest: to, sync: false, minLength: 1, maxLength: bufferBytes - FLUSH_BYTES });
    d.on("error", (e: Error) => fail(d, e));
    d.on("write", (n: number) => (held -= n));
    d.on("drop", (chunk: string) => {
      held -= Buffer.byteLength(chunk);
      for (let i = chunk.indexOf("\n"); i >= 0; i = chunk.indexOf("\n", i + 1)) dropped++;
      if (warned.dropped === 0) warnDropped();
    });
    return d;
  };
  const warnDropped = (): void => {
    serviceLog.warn(
      { target, dropped_lines: dropped - warned.dropped, buffer_bytes: bufferBytes },
      "decision log cannot keep up; lines are dropped (capgate_decision_log_dropped_lines counts them)",
    );
    warned = { at: Date.now(), dropped };
  };
  let dest = destination(fd);
  const drain = (): void => {
    if (pending.length === 0 || broken) return;
    const chunk = pending.join("");
    pending = [];
    pendingChars = 0;
    // Counted before the write: a chunk beyond the buffer is dropped (and uncounted) within it.
    held += Buffer.byteLength(chunk);
    try {
      dest.write(chunk);
    } catch (e) {
      fail(dest, e as Error);
    }
  };
  const tick = (): void => {
    drain();
    if (dropped > warned.dropped && Date.now() - warned.at >= WARN_MS) warnDropped();
  };
  const timer = setInterval(tick, FLUSH_MS);
  timer.unref();
  return {
    get dropped() {
      return dropped;
    },
    get buffered() {
      return broken ? 0 : pendingChars + held;
    },
    write(entry) {
      if (broken) return;
      const line = decisionLine(entry, isoTime(Date.now()));
      pending.push(line);
      pendingChars += line.length;
      if (pendingChars >= FLUSH_BYTES) drain();
    },
    reopen() {
      if (target === "stdout" || broken) return;
      let next: number;
      try {
        next = open();
      } catch (e) {
        // The old file (renamed, say) keeps the lines: nothing is lost, and a later reopen may succeed.
        serviceLog.error({ err: (e as Error).message, target }, "decision log could not be reopened; lines still go to the file it had open");
        return;
      }
      // Lines made so far belong to the old file; it is closed once they are written.
      drain();
      const old = dest;
      dest = destination(next);
      old.end();
      serviceLog.info({ target }, "decision log reopened");
    },
    flush() {
      drain();
      if (broken) return Promise.resolve();
      return new Promise((resolve) => {
        try {
          dest.flush(() => resolve());
        } catch {
          resolve();
        }
      });
    },
    close() {
      clearInterval(timer);
      drain();
      return new Promise((resolve) => {
        if (broken) return resolve();
        try {
          dest.once("close", () => resolve());
          dest.once("error", () => resolve());
          dest.end();
        } catch {
          resolve();
        }
      });
    },
  };
}
