// What travels over NATS, and its validation: a change (the change-log row as
// JSON with its predecessor's id), the relay's heartbeat, a snapshot object's
// metadata and a follower's status report. Everything read from NATS passes
// through these parsers; garbage becomes one sync_error line.
import { z } from "zod";
import { CapgateError } from "../errors.js";
import type { Change } from "../sync/apply-changes.js";
import { safeParseWorded } from "../zod-wording.js";

/**
 * A change message's body: the change-log row and `prev`, the change id
 * published before it (followers check the chain with it). In the body, not
 * a header, so a follower decodes one thing per message.
 */
const changeSchema = z.object({
  seq: z.number().int().positive(),
  table_name: z.string().min(1),
  op: z.enum(["U", "D", "T"]),
  row_data: z.record(z.string(), z.unknown()),
  prev: z.number().int().nonnegative(),
});
export type ChangeMessage = Change & { prev: number };

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
const decoder = new TextDecoder();

/** The common shape checked by hand (every follower parses every change); zod words what is wrong otherwise. */
function quickChange(data: Uint8Array): ChangeMessage | undefined {
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
    OPS.has(c["op"] as string) && typeof rows === "object" && rows !== null && !Array.isArray(rows) &&
    Number.isSafeInteger(c["prev"]) && (c["prev"] as number) >= 0 && Object.keys(c).length === 5
  ) {
    return c as unknown as ChangeMessage;
  }
  return undefined;
}

/** The body the relay publishes for a change whose predecessor in the stream is `prev`. */
export const encodeChange = (c: Change, prev: number): Uint8Array =>
  encodeJson({ seq: c.seq, table_name: c.table_name, op: c.op, row_data: c.row_data, prev });

function decodeChange(data: Uint8Array, streamSeq: number): ChangeMessage {
  const what = `stream message ${streamSeq}`;
  const change = quickChange(data) ?? (parseJson(changeSchema.strict(), data, what) as ChangeMessage);
  if (change.prev >= change.seq) throw new CapgateError("sync_error", `${what}: prev ${change.prev} must be a change id below seq ${change.seq}`);
  return change;
}

/**
 * Decoded messages shared by the followers of one process (the benchmark runs
 * hundreds; all of them receive the same bytes for a stream sequence, and the
 * same heartbeat). A slot answers only for bytes identical to the ones decoded
 * and checked there, so its answer is exactly what decoding them again would
 * give; what does not decode is never kept. Answers are frozen: every follower
 * of the process reads the same object.
 */
class SharedDecodes<T extends object> {
  private readonly slots: ({ bytes: Uint8Array; value: T } | undefined)[];

  constructor(size: number) {
    this.slots = new Array<{ bytes: Uint8Array; value: T } | undefined>(size);
  }

  get(data: Uint8Array, key: number, decode: () => T): T {
    const slot = key % this.slots.length;
    const hit = this.slots[slot];
    if (hit !== undefined && Buffer.compare(hit.bytes, data) === 0) return hit.value;
    const value = deepFreeze(decode());
    // A copy: the client may reuse the buffer it read the message into.
    this.slots[slot] = { bytes: Uint8Array.prototype.slice.call(data), value };
    return value;
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v !== "object" || v === null || Object.isFrozen(v)) return v;
  for (const x of Object.values(v)) deepFreeze(x);
  return Object.freeze(v);
}

const sharedChanges = new SharedDecodes<ChangeMessage>(4096);
const sharedHeartbeats = new SharedDecodes<Heartbeat>(1);

/** A change message, checked; `streamSeq` names it in errors. */
export const parseChange = (data: Uint8Array, streamSeq: number): ChangeMessage =>
  sharedChanges.get(data, streamSeq, () => decodeChange(data, streamSeq));

export const parseHeartbeat = (data: Uint8Array): Heartbeat => sharedHeartbeats.get(data, 0, () => parseJson(heartbeatSchema, data, "heartbeat"));
export const parseStatusReport = (data: Uint8Array): StatusReport => parseJson(statusReportSchema, data, "status report");

export function parseSnapshotMeta(meta: Record<string, string> | undefined, name: string): SnapshotObjectMeta {
  const r = safeParseWorded(snapshotMetaSchema, meta ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CapgateError("snapshot_error", `snapshot object ${name}: bad metadata ${issue?.path.join(".") || "?"}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}
