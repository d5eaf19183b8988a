// The relay's pass over the change log: find where the stream ends (the last
// message's change id, read back from the stream, so a restarted relay never
// publishes a change twice), publish every newer change in order, take
// snapshots when due, and announce a heartbeat. Each publish carries the change
// id as Nats-Msg-Id (server-side dedupe) and the stream sequence it must land
// on (expected last sequence), so two relays racing can never interleave,
// duplicate or skip: the loser's publish is refused and it re-reads the stream.
import { randomUUID } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, type JetStreamManager, type PubAck } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import { CapgateError } from "../errors.js";
import type { Primary, Queryable } from "../primary/index.js";
import { exportSnapshot, type LoadedKey } from "../snapshot/index.js";
import type { Change } from "../sync/apply-changes.js";
import {
  changeSubject, encodeChange, encodeJson, SNAPSHOT_OBJECT, type FleetNames, type Heartbeat, type RelayMetrics, type SnapshotObjectMeta,
} from "../fleet/index.js";

export interface PublisherOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: FleetNames;
  snapshots: ObjectStore;
  relayId: string;
  signKey?: LoadedKey;
  snapshotEveryMs: number;
  metrics: RelayMetrics;
  onNote: (line: string) => void;
  /** Change-log rows per query (and per pipelined publish burst). */
  batchRows?: number;
}

interface Position {
  /** The change id of the stream's last message (or the snapshot watermark the stream continues from). */
  change: number;
  /** The stream's last sequence. */
  stream: number;
}

const HEARTBEAT_MIN_GAP_MS = 200;

export class ChangePublisher {
  private readonly js: JetStreamClient;
  private pos: Position | undefined;
  private nextSnapshotAt = 0;
  private snapshotWanted = false;
  private lastHeartbeat = 0;

  constructor(private readonly o: PublisherOptions) {
    this.js = jetstream(o.nc);
  }

  /** Forget the position: the next pass reads it back from the stream. */
  reset(): void {
    this.pos = undefined;
  }

  /** Ask for a snapshot on the next pass. */
  requestSnapshot(): void {
    this.snapshotWanted = true;
  }

  get position(): Readonly<Position> | undefined {
    return this.pos;
  }

  async pass(primary: Primary): Promise<void> {
    const startedAt = new Date();
    if (this.pos === undefined) await this.locate(primary);
    await this.publishNew(primary);
    if (this.snapshotWanted || Date.now() >= this.nextSnapshotAt) await this.snapshot(primary, false);
    this.heartbeat(startedAt);
  }

  /**
   * Reads the stream's end: the last message's change id, or, for a stream
   * with no messages, the watermark of a snapshot recorded at its last
   * sequence. Without either (a new or purged stream), or with a log pruned
   * past it, the stream continues from a fresh snapshot.
   */
  private async locate(primary: Primary): Promise<void> {
    const info = await this.o.jsm.streams.info(this.o.names.stream);
    const last = info.state.last_seq;
    const snap = await this.o.snapshots.info(SNAPSHOT_OBJECT);
    const snapMeta = snap === null || snap.deleted ? undefined : snap.metadata;
    let pos: Position | undefined;
    if (info.state.messages > 0) {
      const m = await this.o.jsm.streams.getMessage(this.o.names.stream, { seq: last });
      if (m === null) throw new CapgateError("sync_error", `stream ${this.o.names.stream}: its last message ${last} cannot be read`);
      const id = Number(m.header.get("Nats-Msg-Id"));
      if (!Number.isSafeInteger(id) || id <= 0) {
        throw new CapgateError("sync_error", `stream ${this.o.names.stream} message ${m.seq} has no change id (Nats-Msg-Id); is another program publishing to ${this.o.names.changes}?`);
      }
      pos = { change: id, stream: m.seq };
    } else if (snapMeta?.["stream_seq"] === String(last) && /^\d+$/.test(snapMeta["watermark"] ?? "")) {
      pos = { change: Number(snapMeta["watermark"]), stream: last };
    }
    if (pos === undefined) {
      this.o.onNote(`stream ${this.o.names.stream} holds no changes after sequence ${last}: starting it from a fresh snapshot`);
      await this.snapshot(primary, true);
      return;
    }
    const pruned = await prunedThrough(primary);
    if (pruned > pos.change) {
      this.o.onNote(`change log pruned through ${pruned}, past the stream's last change ${pos.change}: publishing a fresh snapshot`);
      await this.snapshot(primary, true);
      return;
    }
    this.pos = pos;
    // Followers must be able to join: a snapshot whose position the stream no longer reaches is useless.
    if (snapMeta === undefined || Number(snapMeta["stream_seq"] ?? -1) < info.state.first_seq - 1) this.snapshotWanted = true;
    this.o.onNote(`continuing stream ${this.o.names.stream} after sequence ${pos.stream} (change ${pos.change})`);
  }

  /** Publishes every change above the position (up to `upTo` when given) in log order. */
  private async publishNew(primary: Primary, upTo?: number): Promise<void> {
    const batch = this.o.batchRows ?? 1000;
    await primary.transaction(
      async (tx) => {
        for (;;) {
          const rows = await readChanges(tx, this.pos!.change, batch, upTo);
          if (rows.length === 0) break;
          await this.publishBatch(rows);
          if (rows.length < batch) break;
        }
      },
      { isolation: "repeatable read", readOnly: true },
    );
  }

  private async publishBatch(rows: Change[]): Promise<void> {
    const pos = this.pos!;
    let prev = pos.change;
    const sends: Promise<PubAck>[] = rows.map((c, i) => {
      const body = encodeChange(c, prev);
      prev = c.seq;
      return this.js.publish(changeSubject(this.o.names, c.table_name, c.row_data), body, {
        msgID: String(c.seq),
        expect: { lastSequence: pos.stream + i },
        timeout: 10_000,
      });
    });
    const results = await Promise.allSettled(sends);
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.status === "rejected") {
        throw new CapgateError("sync_error", `publishing change ${rows[i]!.seq} failed: ${(r.reason as Error).message}`);
      }
      this.pos = { change: rows[i]!.seq, stream: r.value.seq };
      if (!r.value.duplicate) this.o.metrics.published.inc();
    }
    this.o.metrics.publishedSeq.set(this.pos!.stream);
  }

  /**
   * Exports a snapshot and puts it in the object store with the stream
   * sequence it covers. `fresh`: the stream restarts from the snapshot's
   * watermark (empty stream, or a pruned log), so the position becomes it.
   */
  private async snapshot(primary: Primary, fresh: boolean): Promise<void> {
    this.snapshotWanted = false;
    this.nextSnapshotAt = Date.now() + this.o.snapshotEveryMs;
    const file = join(tmpdir(), `capgate-relay-${randomUUID().slice(0, 8)}.snapshot`);
    try {
      const info = await exportSnapshot(primary, file, this.o.signKey ? { signKey: this.o.signKey } : {});
      const watermark = info.header.watermark ?? 0;
      if (fresh) {
        const s = await this.o.jsm.streams.info(this.o.names.stream);
        this.pos = { change: watermark, stream: s.state.last_seq };
      } else {
        // Everything the snapshot holds must be in the stream below the sequence it records.
        await this.publishNew(primary, watermark);
      }
      const meta: SnapshotObjectMeta = {
        stream_seq: String(this.pos!.stream),
        watermark: String(watermark),
        snapshot_id: info.header.snapshot_id,
        taken_at: info.header.taken_at,
        signed: String(info.signed) as "true" | "false",
      };
      const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
      await this.o.snapshots.put({ name: SNAPSHOT_OBJECT, metadata: meta }, body);
      this.o.metrics.snapshots.inc();
      this.o.onNote(`published snapshot ${info.header.snapshot_id} (watermark ${watermark}, stream sequence ${meta.stream_seq}, ${info.bytes} bytes${info.signed ? ", signed" : ""})`);
    } finally {
      rmSync(file, { force: true });
    }
  }

  private heartbeat(at: Date): void {
    const now = Date.now();
    if (this.pos === undefined || now - this.lastHeartbeat < HEARTBEAT_MIN_GAP_MS) return;
    this.lastHeartbeat = now;
    const hb: Heartbeat = { relay: this.o.relayId, at: at.toISOString(), stream_seq: this.pos.stream, change_seq: this.pos.change };
    this.o.nc.publish(this.o.names.heartbeat, encodeJson(hb));
  }
}

async function prunedThrough(q: Queryable): Promise<number> {
  const r = await q.query<{ p: number | string }>("SELECT pruned_through AS p FROM capgate_change_log_state");
  return Number(r.rows[0]?.p ?? 0);
}

async function readChanges(tx: Queryable, after: number, limit: number, upTo: number | undefined): Promise<Change[]> {
  const r = await tx.query(
    upTo === undefined
      ? "SELECT seq, table_name, op, row_data FROM capgate_change_log WHERE seq > $1 ORDER BY seq LIMIT $2"
      : "SELECT seq, table_name, op, row_data FROM capgate_change_log WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2",
    upTo === undefined ? [after, limit] : [after, limit, upTo],
  );
  return r.rows.map((c) => ({ ...(c as unknown as Change), seq: Number(c["seq"]) }));
}
