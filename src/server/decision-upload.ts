// Decision-log upload to a service speaking OPA's decision log API: each
// decision becomes an event in OPA's shape (decision_id, path, masked input,
// result, bundles, timestamp, metrics), kept in a bounded buffer and POSTed as
// gzip-compressed JSON arrays of at most upload_size_limit_bytes to
// `{url}/logs` every min..max delay. A failed upload keeps its events and
// backs off up to max_delay. Nothing here can slow a decision: write() only
// appends to the buffer; past max_decisions_per_second, or once the buffer is
// full (oldest first), events are dropped and counted, never waited for.
// The policy's data.system.log.drop / mask rules, when the bundle has them,
// drop or mask an event before it is buffered, as in OPA. The local decision
// log stays: teeDecisionLog writes to both.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import type { Logger } from "pino";
import { DECISIONS } from "./decide/index.js";
import { mask, type DecisionLog, type DecisionLogEntry } from "./decision-log.js";
import { authorization, nextPollDelayMs } from "./bundle-service.js";

export interface DecisionUploadSettings {
  url: string;
  resource: string;
  min_delay_seconds: number;
  max_delay_seconds: number;
  upload_size_limit_bytes: number;
  max_decisions_per_second?: number | undefined;
  buffer_size_limit_bytes: number;
  credentials?: { bearer?: string | { token: string; scheme: string } | undefined } | undefined;
}

export interface DecisionUploadDeps {
  settings: DecisionUploadSettings;
  log: Logger;
  /** labels.id of every event. */
  id: string;
  version: string;
  /** The bundle's name in `bundles` (OPA keys revisions by bundle name). */
  bundleName: () => string;
  clock?: () => number;
  /** The serving policy: its `system/log/drop` and `system/log/mask` rules, when it has them, judge each event as OPA's do. */
  policy?: (() => EventPolicy) | undefined;
}

/** What the uploader asks of the policy (the Engine). */
export interface EventPolicy {
  readonly entrypoints: readonly string[];
  evaluateDocument(entrypoint: string, inputJson: string, deadline: number): { ok: true; document: unknown } | { ok: false };
}

const DROP = "system/log/drop";
const MASK = "system/log/mask";
/** A policy's judgement of one event may take this long before it is skipped (the event is kept as built). */
const EVENT_POLICY_MS = 50;

/** Why events were dropped, and how many. */
export interface DropCounts {
  rate_limited: number;
  buffer_full: number;
  too_large: number;
  /** Dropped on purpose by the policy's system.log.drop (not a loss). */
  by_policy: number;
}

export interface UploadStats {
  buffered: number;
  buffered_bytes: number;
  uploaded: number;
  dropped: DropCounts;
  consecutive_failures: number;
  last_error?: string;
}

export interface DecisionUploader {
  write(entry: DecisionLogEntry): void;
  /** Uploads what is buffered now, chunk by chunk, until empty or an upload fails. */
  uploadNow(): Promise<void>;
  stats(): UploadStats;
  close(): Promise<void>;
}

const UPLOAD_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;

export function startDecisionUpload(deps: DecisionUploadDeps): DecisionUploader {
  const { settings } = deps;
  const clock = deps.clock ?? Date.now;
  const target = `${settings.url.replace(/\/+$/, "")}/${settings.resource.replace(/^\/+/, "")}`;
  // Oldest first; `seq` tells which events an upload took even if older ones were dropped meanwhile.
  const buffer: Array<{ seq: number; json: string; bytes: number }> = [];
  let nextSeq = 0;
  let bufferedBytes = 0;
  let uploaded = 0;
  const dropped: DropCounts = { rate_limited: 0, buffer_full: 0, too_large: 0, by_policy: 0 };
  let failures = 0;
  let lastError: string | undefined;
  let inFlight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  // Token bucket of max_decisions_per_second, refilled by elapsed time.
  let tokens = settings.max_decisions_per_second ?? 0;
  let refilledAt = clock();

  const admit = (): boolean => {
    const rate = settings.max_decisions_per_second;
    if (rate === undefined) return true;
    const now = clock();
    tokens = Math.min(rate, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const write = (entry: DecisionLogEntry): void => {
    if (closed) return;
    if (!admit()) {
      dropped.rate_limited++;
      return;
    }
    const event = toEvent(entry, deps, clock());
    if (deps.policy !== undefined && !judge(deps.policy(), event)) {
      dropped.by_policy++;
      return;
    }
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    // An event that cannot fit one upload can never be sent.
    if (bytes + 2 > settings.upload_size_limit_bytes) {
      dropped.too_large++;
      return;
    }
    buffer.push({ seq: nextSeq++, json, bytes });
    bufferedBytes += bytes;
    while (bufferedBytes > settings.buffer_size_limit_bytes && buffer.length > 0) {
      bufferedBytes -= buffer.shift()!.bytes;
      dropped.buffer_full++;
    }
  };

  /** The oldest events that fit one upload, as a JSON array. */
  const nextChunk = (): { count: number; lastSeq: number; body: string } => {
    let size = 2;
    let count = 0;
    while (count < buffer.length && size + buffer[count]!.bytes + 1 <= settings.upload_size_limit_bytes) size += buffer[count++]!.bytes + 1;
    const taken = buffer.slice(0, count);
    return { count, lastSeq: taken.at(-1)?.seq ?? -1, body: `[${taken.map((e) => e.json).join(",")}]` };
  };

  const uploadOnce = async (timeoutMs: number): Promise<boolean> => {
    const { count, lastSeq, body } = nextChunk();
    if (count === 0) return false;
    const headers: Record<string, string> = { "content-type": "application/json", "content-encoding": "gzip" };
    const auth = authorization(settings.credentials);
    if (auth !== undefined) headers["authorization"] = auth;
    const res = await fetch(target, { method: "POST", headers, body: gzipSync(body), signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${target} answered ${res.status}`);
    // Events written meanwhile are behind the chunk; some of the chunk may have been dropped from the front meanwhile.
    while (buffer.length > 0 && buffer[0]!.seq <= lastSeq) bufferedBytes -= buffer.shift()!.bytes;
    uploaded += count;
    return buffer.length > 0;
  };

  const drain = (timeoutMs: number): Promise<void> => {
    if (inFlight === null) {
      inFlight = (async () => {
        try {
          while (await uploadOnce(timeoutMs));
          if (failures > 0) deps.log.info({ url: target }, "decision log uploads delivered again");
          failures = 0;
          lastError = undefined;
        } catch (e) {
          failures++;
          lastError = (e as Error).message;
          if (failures === 1) deps.log.warn({ url: target, err: lastError }, "decision log upload failed; events are kept (bounded) and retried with back-off");
        } finally {
          inFlight = null;
        }
      })();
    }
    return inFlight;
  };

  const schedule = (): void => {
    if (closed) return;
    const polling = { min_delay_seconds: settings.min_delay_seconds, max_delay_seconds: settings.max_delay_seconds };
    timer = setTimeout(() => void drain(UPLOAD_TIMEOUT_MS).finally(schedule), nextPollDelayMs(polling, failures, false));
    timer.unref();
  };
  schedule();

  return {
    write,
    uploadNow: () => drain(UPLOAD_TIMEOUT_MS),
    stats: () => ({
      buffered: buffer.length,
      buffered_bytes: bufferedBytes,
      uploaded,
      dropped: { ...dropped },
      consecutive_failures: failures,
      ...(lastError === undefined ? {} : { last_error: lastError }),
    }),
    async close() {
      if (timer !== null) clearTimeout(timer);
      await inFlight;
      // One last, short try: what is still buffered is lost with the process anyway.
      await drain(CLOSE_TIMEOUT_MS);
      closed = true;
    },
  };
}

/** The decision as an event of OPA's decision log API. */
function toEvent(entry: DecisionLogEntry, deps: DecisionUploadDeps, now: number): Record<string, unknown> {
  const event: Record<string, unknown> = {
    labels: { id: deps.id, version: deps.version, type: "capgate" },
    decision_id: entry.decision_id || randomUUID(),
    path: decisionPath(entry.decision),
    input: mask(entry.input),
    result: mask(entry.result),
    timestamp: new Date(now).toISOString(),
    metrics: { timer_server_handler_ns: Math.round(entry.latency_ms * 1e6) },
  };
  if (entry.policy_revision !== null) event["bundles"] = { [deps.bundleName()]: { revision: entry.policy_revision } };
  return event;
}

/**
 * Applies the policy's drop and mask rules to an event, as OPA's decision-log
 * plugin does (input: the event): false when system.log.drop is true; else
 * system.log.mask's JSON pointers under /input or /result are erased, and its
 * `{"op": "upsert", "path", "value"}` objects set, listed in `erased`/`masked`.
 */
function judge(policy: EventPolicy, event: Record<string, unknown>): boolean {
  const names = policy.entrypoints;
  if (!names.includes(DROP) && !names.includes(MASK)) return true;
  const text = JSON.stringify(event);
  const deadline = (): number => performance.now() + EVENT_POLICY_MS;
  if (names.includes(DROP)) {
    const r = policy.evaluateDocument(DROP, text, deadline());
    if (r.ok && r.document === true) return false;
  }
  if (names.includes(MASK)) {
    const r = policy.evaluateDocument(MASK, text, deadline());
    if (r.ok && Array.isArray(r.document)) applyMask(event, r.document);
  }
  return true;
}

function applyMask(event: Record<string, unknown>, rules: unknown[]): void {
  const erased: string[] = [];
  const masked: string[] = [];
  for (const rule of rules) {
    const r = typeof rule === "string" ? { op: "remove", path: rule } : (rule as { op?: unknown; path?: unknown; value?: unknown });
    if (typeof r.path !== "string" || !/^\/(input|result)(\/|$)/.test(r.path)) continue;
    const keys = r.path.slice(1).split("/").map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop()!;
    let node: unknown = event;
    for (const k of keys) {
      if (typeof node !== "object" || node === null) break;
      if (r.op === "upsert" && (node as Record<string, unknown>)[k] === undefined) (node as Record<string, unknown>)[k] = {};
      node = (node as Record<string, unknown>)[k];
    }
    if (typeof node !== "object" || node === null || Array.isArray(node)) continue;
    const parent = node as Record<string, unknown>;
    if (r.op === "upsert") {
      parent[last] = r.value;
      masked.push(r.path);
    } else if (r.op === "remove" && last in parent) {
      delete parent[last];
      erased.push(r.path);
    }
  }
  if (erased.length > 0) event["erased"] = erased;
  if (masked.length > 0) event["masked"] = masked;
}

/** The policy path a decision asks (its entrypoint), as OPA names it in an event. */
function decisionPath(decision: string): string {
  return DECISIONS.find((d) => d.name === decision)?.entrypoint ?? decision.replace(/\./g, "/");
}

/** The local decision log and the uploader, written together. */
export function teeDecisionLog(local: DecisionLog, upload: DecisionUploader): DecisionLog {
  return {
    write(entry) {
      local.write(entry);
      upload.write(entry);
    },
    get dropped() {
      return local.dropped;
    },
    get buffered() {
      return local.buffered;
    },
    flush: () => local.flush(),
    reopen: () => local.reopen(),
    async close() {
      await upload.close();
      await local.close();
    },
  };
}
