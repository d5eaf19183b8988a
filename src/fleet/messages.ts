// What travels over NATS, and its validation: a change (the change-log row as
// JSON, its predecessor's id in a header), the relay's heartbeat, a snapshot
// object's metadata and a follower's status report. Everything read from NATS
// passes through these parsers; garbage becomes one sync_error line.
import { z } from "zod";
import { CapgateError } from "../errors.js";
import type { Change } from "../sync/apply-changes.js";
import { safeParseWorded } from "../zod-wording.js";

/** Header naming the change published before this one: followers check the chain with it. */
export const PREV_HEADER = "Capgate-Prev";

const changeSchema = z.object({
  seq: z.number().int().positive(),
  table_name: z.string().min(1),
  op: z.enum(["U", "D", "T"]),
  row_data: z.record(z.string(), z.unknown()),
});

const heartbeatSchema = z.object({
  relay: z.string(),
  /** When the relay's pass began: everything committed before it is at or below stream_seq. */
  at: z.iso.datetime({ offset: true }),
  stream_seq: z.number().int().nonnegative(),
  change_seq: z.number().int().nonnegative(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

const snapshotMetaSchema = z.object({
  stream_seq: z.string().regex(/^\d+$/),
  watermark: z.string().regex(/^\d*$/),
  snapshot_id: z.string().min(1),
  taken_at: z.string(),
  signed: z.enum(["true", "false"]),
});
export type SnapshotObjectMeta = z.infer<typeof snapshotMetaSchema>;

export const statusReportSchema = z.object({
  id: z.string(),
  replica: z.string(),
  stream_seq: z.number().int().nonnegative().nullable(),
  watermark: z.number().int().nonnegative().nullable(),
  confirmed_at: z.string().nullable(),
  lag_seconds: z.number().nullable(),
  state: z.string(),
  bootstraps: z.number().int().nonnegative(),
  gaps: z.number().int().nonnegative(),
  at: z.string(),
});
export type StatusReport = z.infer<typeof statusReportSchema>;

function parseJson<T>(schema: z.ZodType<T>, data: Uint8Array, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new CapgateError("sync_error", `${what}: not JSON`);
  }
  const r = safeParseWorded(schema, raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CapgateError("sync_error", `${what}: bad field ${issue?.path.join(".") || "?"}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

export const encodeJson = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

const OPS = new Set(["U", "D", "T"]);

/** The common shape checked by hand (every follower parses every change); zod words what is wrong otherwise. */
function quickChange(data: Uint8Array): Change | undefined {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const c = v as Record<string, unknown>;
  const rows = c["row_data"];
  if (
    Number.isSafeInteger(c["seq"]) && (c["seq"] as number) > 0 && typeof c["table_name"] === "string" && c["table_name"] !== "" &&
    OPS.has(c["op"] as string) && typeof rows === "object" && rows !== null && !Array.isArray(rows) && Object.keys(c).length === 4
  ) {
    return c as unknown as Change;
  }
  return undefined;
}

const decoder = new TextDecoder();

export function parseChange(data: Uint8Array, prevHeader: string | undefined, streamSeq: number): { change: Change; prev: number } {
  const what = `stream message ${streamSeq}`;
  const change = quickChange(data) ?? (parseJson(changeSchema.strict(), data, what) as Change);
  const prev = Number(prevHeader);
  if (prevHeader === undefined || prevHeader === "" || !Number.isSafeInteger(prev) || prev < 0 || prev >= change.seq) {
    throw new CapgateError("sync_error", `${what}: header ${PREV_HEADER} must be a change id below ${change.seq}, got ${JSON.stringify(prevHeader ?? null)}`);
  }
  return { change, prev };
}

export const parseHeartbeat = (data: Uint8Array): Heartbeat => parseJson(heartbeatSchema, data, "heartbeat");
export const parseStatusReport = (data: Uint8Array): StatusReport => parseJson(statusReportSchema, data, "status report");

export function parseSnapshotMeta(meta: Record<string, string> | undefined, name: string): SnapshotObjectMeta {
  const r = safeParseWorded(snapshotMetaSchema, meta ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CapgateError("snapshot_error", `snapshot object ${name}: bad metadata ${issue?.path.join(".") || "?"}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}
