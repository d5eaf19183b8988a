// The decision log: one JSON line per decision (id, time, decision, masked
// input, result, policy revision, replica version, latency). Codes, secrets,
// tokens and assertions are masked before the line is built, so no code path
// can write them. Writing is asynchronous (pino over sonic-boom) and every
// failure is swallowed and reported on the service log: a broken log never
// fails or slows a decision.
import pino, { type Logger } from "pino";

const MASKED = "[masked]";
/** Keys whose values never reach the log, at any depth. */
const SECRET_KEYS = new Set(["token", "code", "secret", "secret_jwe", "mfa_secret", "assertion", "password", "authorization", "admin_token"]);

export function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.has(k.toLowerCase()) ? MASKED : mask(v);
  return out;
}

export interface DecisionLogEntry {
  decision_id: string;
  decision: string;
  input: unknown;
  result: unknown;
  policy_revision: string | null;
  replica_version: string | null;
  latency_ms: number;
}

export interface DecisionLog {
  write(entry: DecisionLogEntry): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createDecisionLog(target: string, serviceLog: Logger): DecisionLog {
  if (target === "off") return { write() {}, flush: () => Promise.resolve(), close: () => Promise.resolve() };
  let broken = false;
  // minLength 1: every line is written at once, yet flush() waits for the writes in flight.
  const dest = pino.destination({ dest: target === "stdout" ? 1 : target, sync: false, mkdir: false, minLength: 1 });
  dest.on("error", (e: Error) => {
    if (!broken) serviceLog.error({ err: e.message, target }, "decision log write failed; decisions continue without it");
    broken = true;
  });
  const logger = pino({ base: null, messageKey: "msg", timestamp: () => `,"time":"${new Date().toISOString()}"` }, dest);
  return {
    write(entry) {
      if (broken) return;
      try {
        logger.info({ ...entry, input: mask(entry.input), result: mask(entry.result) }, "decision");
      } catch (e) {
        broken = true;
        serviceLog.error({ err: (e as Error).message }, "decision log write failed; decisions continue without it");
      }
    },
    flush() {
      if (broken) return Promise.resolve();
      return new Promise((resolve) => {
        try {
          dest.flush((_err?: Error) => resolve());
        } catch {
          resolve();
        }
      });
    },
    close() {
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
