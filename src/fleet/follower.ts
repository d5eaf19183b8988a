// A follower that keeps a replica from NATS instead of the primary
// (`sync --follow --nats`, and `serve` with sync.nats_url). It bootstraps from
// the newest snapshot in the object store (digest always checked, signature
// when it has a key), then reads the change stream from the snapshot's
// sequence + 1 with an ordered consumer and applies changes in order, in
// batches, recording the stream sequence with them. A skipped sequence, a
// change whose predecessor it never saw, a recreated stream or a snapshot
// beyond its position sends it back to a snapshot; the old replica serves
// until the new one is complete (snapshot apply's atomic swap). The replica is
// confirmed current only against the relay's heartbeat, so a dead relay or a
// partition makes it stale, and the sidecar fails closed, as with the primary.
import { randomBytes, randomUUID } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type Database from "better-sqlite3";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { jetstream, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import { CapgateError } from "../errors.js";
import { writeMeta } from "../replica/meta.js";
import { applySnapshot, type LoadedKey } from "../snapshot/index.js";
import type { Change, ChangeApplier } from "../sync/apply-changes.js";
import { ReplicaWriter, sleep } from "../sync/index.js";
import { connectNats } from "./connect.js";
import { encodeJson, parseChange, parseHeartbeat, parseSnapshotMeta, type ChangeMessage, type Heartbeat, type StatusReport } from "./messages.js";
import { createFollowerMetrics, type FollowerMetrics } from "./metrics.js";
import { fleetNames, SNAPSHOT_OBJECT, type FleetNames } from "./names.js";
import { readPosition, writePosition, type StreamPosition } from "./position.js";
import { guardedPipe, stallGuard, type StallGuard } from "./stall-guard.js";
import { jetstreamManager, objectStore, streamInfo } from "./resources.js";

export interface NatsFollowerOptions {
  natsUrl: string;
  /** A connection to share (many followers in one process); not closed by the follower. */
  nc?: NatsConnection;
  stream?: string;
  replicaPath: string;
  /** When set, snapshots must be signed with this key. */
  key?: LoadedKey;
  /** The name this follower reports under (default host, pid and replica path). */
  id?: string;
  signal: AbortSignal;
  metrics?: FollowerMetrics;
  /** Status report interval on the status subject (default 5000 ms; 0: none). */
  reportEveryMs?: number;
  onNote?: (line: string) => void;
  /**
   * Collect changes for this long before one SQLite transaction applies them
   * (default 0: whatever arrived together). Many followers in one process
   * (bench) trade a little lag for far fewer commits.
   */
  batchWindowMs?: number;
  /** Called after each committed batch with the changes it applied (benchmarks measure lag with it). */
  onApplied?: (changes: Change[]) => void;
  onBootstrap?: (snapshotId: string, streamSeq: number) => void;
}

/** What one batch transaction did: up to where it applied, and the error that ended it early. */
interface BatchOutcome {
  wm: number;
  /** The stream sequence of the last message taken (applied or already held); undefined: none. */
  seq: number | undefined;
  applied: Change[];
  failure: unknown;
}

/** Sends a follower back to a snapshot. */
class NeedSnapshot extends Error {}

/** A message that did not decode: applying stops there, in stream order. */
class Undecodable {
  constructor(readonly error: unknown) {}
}

/**
 * What arrived for one batch, in stream order: each message's stream sequence
 * and its change, decoded on arrival. The message itself is not kept: hundreds
 * of followers holding every message for a batch window made the garbage
 * collector copy them all, a fifth of a follower's CPU.
 */
interface Arrived {
  seqs: number[];
  changes: (ChangeMessage | Undecodable)[];
}

function decodeOnArrival(data: Uint8Array, seq: number): ChangeMessage | Undecodable {
  try {
    return parseChange(data, seq);
  } catch (e) {
    return new Undecodable(e);
  }
}

const MAX_PENDING_HEARTBEATS = 64;

export class NatsFollower {
  readonly names: FleetNames;
  readonly id: string;
  readonly metrics: FollowerMetrics;
  private readonly writer: ReplicaWriter;
  private readonly note: (line: string) => void;
  private nc: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private position: StreamPosition | undefined;
  private watermark: number | null = null;
  private confirmedAt = 0;
  /** Heartbeats whose stream sequence the replica has not reached yet. */
  private pending: Heartbeat[] = [];
  private bootstrapping = false;
  private counts = { bootstraps: 0, gaps: 0 };
  /** The replica handle last tuned, and its batch transaction (prepared BEGIN IMMEDIATE / COMMIT). */
  private tuned: { db: Database.Database; immediate: (arrived: Arrived, applier: ChangeApplier) => BatchOutcome } | undefined;
  /** A heartbeat time written in the transaction being committed. */
  private confirmAt: string | undefined;
  /** Changes wait for a batch transaction, which will record any heartbeat they reach. */
  private batchWaiting = false;

  constructor(private readonly o: NatsFollowerOptions) {
    this.names = fleetNames(o.stream);
    this.id = o.id ?? `${hostname()}:${process.pid}:${o.replicaPath}`;
    this.metrics = o.metrics ?? createFollowerMetrics();
    this.writer = new ReplicaWriter(o.replicaPath, { recheckMs: 1000 });
    this.note = o.onNote ?? (() => undefined);
  }

  /** Runs until the signal aborts. Never throws for NATS, snapshot or message trouble: it notes and retries. */
  async run(): Promise<void> {
    const own = this.o.nc === undefined;
    this.nc = this.o.nc ?? (await connectNats(this.o.natsUrl, { name: `capgate-follower ${this.id}`, persistent: true }));
    const subs: Subscription[] = [
      this.nc.subscribe(this.names.heartbeat, {
        callback: (err, m) => {
          if (err === null) this.onHeartbeat(m.data);
        },
      }),
      this.nc.subscribe(this.names.statusPing, {
        callback: (err, m) => {
          if (err === null) m.respond(encodeJson(this.report()));
        },
      }),
    ];
    const every = this.o.reportEveryMs ?? 5000;
    const reporter = every > 0 ? setInterval(() => this.nc?.publish(this.names.status, encodeJson(this.report())), every) : undefined;
    let backoff = 250;
    try {
      while (!this.o.signal.aborted) {
        try {
          await this.session();
          backoff = 250;
        } catch (e) {
          if (this.o.signal.aborted) break;
          this.note(`${this.o.replicaPath}: ${(e as Error).message.split("\n")[0]}; retrying in ${backoff} ms`);
          this.writer.close();
          await sleep(backoff, this.o.signal);
          backoff = Math.min(5000, backoff * 2);
        }
      }
    } finally {
      if (reporter) clearInterval(reporter);
      for (const s of subs) s.unsubscribe();
      this.writer.close();
      if (own) await this.nc.drain().catch(() => this.nc?.close());
    }
  }

  /** What `fleet status` shows for this follower. */
  report(): StatusReport {
    const lag = this.confirmedAt === 0 ? null : Math.max(0, (Date.now() - this.confirmedAt) / 1000);
    return {
      id: this.id,
      replica: this.o.replicaPath,
      stream_seq: this.position?.seq ?? null,
      watermark: this.watermark,
      confirmed_at: this.confirmedAt === 0 ? null : new Date(this.confirmedAt).toISOString(),
      lag_seconds: lag,
      state: this.bootstrapping ? "bootstrapping" : this.position === undefined ? "no replica" : "following",
      bootstraps: this.counts.bootstraps,
      gaps: this.counts.gaps,
      at: new Date().toISOString(),
    };
  }

  /** One stretch of following: decide whether a snapshot is needed, then consume until a gap or an error. */
  private async session(): Promise<void> {
    this.jsm ??= await jetstreamManager(this.nc!);
    const info = await streamInfo(this.jsm, this.names.stream);
    if (info === undefined) throw new CapgateError("sync_error", `no stream ${this.names.stream} on NATS yet (is a relay running?)`);
    this.loadPosition();
    const snapshots = await objectStore(this.nc!, this.names.snapshotBucket, false);
    const snap = snapshots === undefined ? null : await snapshots.info(SNAPSHOT_OBJECT);
    const snapSeq = snap === null || snap.deleted ? undefined : Number(snap.metadata?.["stream_seq"]);
    const p = this.position;
    const why =
      p === undefined ? "replica has no stream position"
      : p.stream !== this.names.stream || p.created !== info.created ? `stream ${this.names.stream} is not the one the replica followed`
      : p.seq > info.state.last_seq ? `replica is at sequence ${p.seq}, beyond the stream's end ${info.state.last_seq}`
      : snapSeq !== undefined && snapSeq > p.seq ? `snapshot at sequence ${snapSeq} is newer than the replica's ${p.seq}`
      : p.seq + 1 < info.state.first_seq ? `stream starts at ${info.state.first_seq}, past the replica's ${p.seq}`
      : undefined;
    if (why !== undefined) {
      await this.bootstrap(snapshots, info, why);
      return;
    }
    try {
      await this.consume(p!.seq);
    } catch (e) {
      if (!(e instanceof NeedSnapshot)) throw e;
      this.counts.gaps++;
      this.metrics.gaps.inc();
      await this.bootstrap(snapshots, (await streamInfo(this.jsm, this.names.stream)) ?? info, e.message);
    }
  }

  /** Asks the leading relay for a fresh snapshot (answered by the next pass); best effort. */
  private async askForSnapshot(): Promise<void> {
    await this.nc!.request(this.names.snapshotRequest, encodeJson({ follower: this.id }), { timeout: 2000 }).catch(() => undefined);
  }

  private loadPosition(): void {
    const open = this.writer.get();
    if (open === undefined) {
      this.position = undefined;
      this.watermark = null;
      return;
    }
    const meta = open.replica.meta();
    this.position = readPosition(open.replica.db);
    this.watermark = meta.watermark;
    this.confirmedAt = Math.max(this.confirmedAt, Date.parse(meta.confirmedAt) || 0);
  }

  /** Replaces the replica with the newest snapshot in the object store. */
  private async bootstrap(snapshots: ObjectStore | undefined, info: StreamInfo, why: string): Promise<void> {
    this.note(`${this.o.replicaPath}: ${why}: bootstrapping from the newest snapshot`);
    const guard = stallGuard(`snapshot object ${SNAPSHOT_OBJECT} in ${this.names.snapshotBucket}`);
    try {
      await this.download(snapshots, info, guard);
    } finally {
      guard.done();
    }
  }

  /** The bootstrap's read from the object store, each wait on NATS under the guard, then the apply. */
  private async download(snapshots: ObjectStore | undefined, info: StreamInfo, guard: StallGuard): Promise<void> {
    const created = info.created;
    const r = snapshots === undefined ? null : await guard.step(snapshots.get(SNAPSHOT_OBJECT));
    if (r === null) {
      await this.askForSnapshot();
      throw new CapgateError("sync_error", `no snapshot in ${this.names.snapshotBucket} yet; asked the relay for one`);
    }
    const meta = parseSnapshotMeta(r.info.metadata, SNAPSHOT_OBJECT);
    if (Number(meta.stream_seq) + 1 < info.state.first_seq) {
      // The changes right after it are gone from the stream: applying it would only lead to another gap.
      await r.data.cancel().catch(() => undefined);
      await this.askForSnapshot();
      throw new CapgateError("sync_error", `the newest snapshot (stream sequence ${meta.stream_seq}) is older than the stream's first message ${info.state.first_seq}; asked the relay for a new one`);
    }
    const file = join(dirname(this.o.replicaPath), `.capgate-nats-${randomUUID().slice(0, 8)}.snapshot`);
    this.bootstrapping = true;
    try {
      await guardedPipe(Readable.fromWeb(r.data as never), createWriteStream(file), guard);
      const transport = await guard.step(r.error);
      if (transport) throw new CapgateError("snapshot_error", `snapshot object ${SNAPSHOT_OBJECT}: ${transport.message}`);
      this.writer.close();
      const applied = await applySnapshot(file, this.o.replicaPath, this.o.key ? { key: this.o.key } : {});
      const open = this.writer.get();
      if (open === undefined) throw new CapgateError("replica_error", `${this.o.replicaPath}: cannot open the replica just applied`);
      const seq = Number(meta.stream_seq);
      writePosition(open.replica.db, { stream: this.names.stream, created, seq });
      this.position = { stream: this.names.stream, created, seq };
      this.watermark = applied.meta.watermark;
      this.counts.bootstraps++;
      this.metrics.bootstraps.inc();
      this.metrics.appliedSeq.set(seq);
      this.o.onBootstrap?.(applied.meta.snapshotId, seq);
      this.note(`${this.o.replicaPath}: applied snapshot ${applied.meta.snapshotId} (watermark ${applied.meta.watermark ?? "none"}, stream sequence ${seq})`);
    } finally {
      this.bootstrapping = false;
      rmSync(file, { force: true });
    }
  }

  /** Applies the stream from `after` + 1 until a gap (NeedSnapshot), an error, or abort. */
  private consume(after: number): Promise<void> {
    const js = jetstream(this.nc!);
    return new Promise<void>((resolve, reject) => {
      let expected = after + 1;
      let batch: Arrived = { seqs: [], changes: [] };
      let scheduled = false;
      let done = false;
      let stop: (() => Promise<void>) | undefined;
      const finish = (e?: unknown): void => {
        if (done) return;
        done = true;
        this.o.signal.removeEventListener("abort", onAbort);
        void stop?.().catch(() => undefined);
        if (e === undefined) resolve();
        else reject(e);
      };
      const onAbort = (): void => finish();
      this.o.signal.addEventListener("abort", onAbort, { once: true });
      const flush = (): void => {
        scheduled = false;
        this.batchWaiting = false;
        if (done || batch.seqs.length === 0) return;
        const arrived = batch;
        batch = { seqs: [], changes: [] };
        try {
          this.applyBatch(arrived);
        } catch (e) {
          finish(e);
        }
      };
      void js.consumers
        .get(this.names.stream, {
          filter_subjects: this.names.changes,
          deliver_policy: "by_start_sequence" as never,
          opt_start_seq: expected,
          // The consumer's name is in every delivery's reply subject, which the server writes and the client parses
          // for every (change, follower): 12 random characters (72 bits) instead of the client's default 22.
          name_prefix: randomBytes(9).toString("base64url"),
        })
        .then(async (consumer) => {
          const messages = await consumer.consume({
            // What the server may send ahead of the follower. Many followers share a connection (the benchmark puts
            // 250 on one): 1,000 each let a follower process that fell two seconds behind pile more than the server's
            // 64 MB max_pending on its connection, and the server dropped it as a slow consumer. 256 bounds that to
            // about a quarter, at one pull request per 128 messages.
            max_messages: 256,
            // Pull again when 64 are left (the client's default: 192), so each pull request asks for 192 messages, not 64:
            // a third of the pull requests, each a write by the follower and a request the server parses.
            threshold_messages: 64,
            // Pull requests expire (and idle heartbeats flow) every few seconds, so a restarted server is noticed quickly.
            expires: 5000,
            callback: (m) => {
              if (done) return;
              const seq = m.seq;
              if (seq < expected) return;
              if (seq > expected) {
                finish(new NeedSnapshot(`stream sequence ${seq} arrived after ${expected - 1}: sequences skipped`));
                return;
              }
              expected++;
              batch.seqs.push(seq);
              batch.changes.push(decodeOnArrival(m.data, seq));
              if (!scheduled) {
                scheduled = true;
                this.batchWaiting = true;
                const wait = this.o.batchWindowMs ?? 0;
                if (wait > 0) setTimeout(flush, wait);
                else setImmediate(flush);
              }
            },
          });
          stop = () => messages.close().then(() => undefined);
          if (done) await stop();
          void messages.closed().then((err) => finish(err instanceof Error ? err : undefined));
        })
        .catch((e: unknown) => finish(e));
      if (this.o.signal.aborted) finish();
    });
  }

  /**
   * One SQLite transaction: the changes, the watermark, the stream position,
   * and any heartbeat now reached. A message that cannot be applied (does not
   * decode, a value of the wrong shape, a broken chain) ends the batch there:
   * the changes before it commit with their position, nothing after it is
   * applied, and its error is thrown (a broken chain as NeedSnapshot).
   */
  private applyBatch(arrived: Arrived): void {
    const open = this.writer.get();
    if (open === undefined) throw new NeedSnapshot("replica disappeared");
    const db = open.replica.db;
    if (this.tuned?.db !== db) {
      // WAL with NORMAL: a commit survives a crash of the process, and the stream position commits with the
      // changes, so a power cut can only move both back together (the stream is replayed from there).
      db.pragma("synchronous = NORMAL");
      this.tuned = { db, immediate: db.transaction((a: Arrived, applier: ChangeApplier) => this.applyInTransaction(db, a, applier)).immediate };
    }
    const r = this.tuned.immediate(arrived, open.applier);
    if (r.seq !== undefined) this.advanced(r.wm, r.seq);
    if (r.applied.length > 0) this.o.onApplied?.(r.applied);
    if (r.failure !== undefined) throw r.failure;
  }

  private applyInTransaction(db: Database.Database, arrived: Arrived, applier: ChangeApplier): BatchOutcome {
    const r: BatchOutcome = { wm: this.watermark ?? 0, seq: undefined, applied: [], failure: undefined };
    for (let i = 0; i < arrived.seqs.length; i++) {
      try {
        const change = arrived.changes[i]!;
        if (change instanceof Undecodable) throw change.error;
        if (change.seq > r.wm) {
          if (change.prev > r.wm) throw new NeedSnapshot(`change ${change.seq} follows change ${change.prev}, but the replica holds changes up to ${r.wm} only`);
          applier.apply(change);
          r.applied.push(change);
          r.wm = change.seq;
        }
        r.seq = arrived.seqs[i];
      } catch (e) {
        r.failure = e;
        break;
      }
    }
    // A statement that failed undid only itself; an error that ended the whole transaction leaves nothing to commit.
    if (!db.inTransaction) throw r.failure;
    if (r.seq !== undefined) this.record(db, r.wm, r.seq);
    return r;
  }

  /** Writes the watermark, stream position and any heartbeat now reached into the open transaction. */
  private record(db: Database.Database, wm: number, seq: number): void {
    writeMeta(db, { watermark: wm });
    writePosition(db, { seq });
    this.confirmAt = this.reached(wm);
    if (this.confirmAt !== undefined) writeMeta(db, { confirmedAt: this.confirmAt });
  }

  /** After the commit: the follower's view of its replica moves on. */
  private advanced(wm: number, seq: number): void {
    this.position = { ...this.position!, seq };
    this.watermark = wm;
    if (this.confirmAt !== undefined) this.confirmed(this.confirmAt);
    this.confirmAt = undefined;
    this.metrics.appliedSeq.set(seq);
  }

  /**
   * The newest pending heartbeat time whose change id the replica holds,
   * dropping those it covers. Judged by change id, not stream sequence: a
   * heartbeat from a recreated stream must not vouch for an old replica.
   */
  private reached(watermark: number): string | undefined {
    let at: string | undefined;
    this.pending = this.pending.filter((h) => {
      if (h.change_seq > watermark) return true;
      if (Date.parse(h.at) > this.confirmedAt && (at === undefined || h.at > at)) at = h.at;
      return false;
    });
    return at;
  }

  private confirmed(at: string): void {
    this.confirmedAt = Math.max(this.confirmedAt, Date.parse(at));
    this.metrics.lagSeconds.set(Math.max(0, (Date.now() - this.confirmedAt) / 1000));
  }

  private onHeartbeat(data: Uint8Array): void {
    let hb: Heartbeat;
    try {
      hb = parseHeartbeat(data);
    } catch (e) {
      this.note(`${this.o.replicaPath}: ignored: ${(e as Error).message}`);
      return;
    }
    this.pending.push(hb);
    if (this.pending.length > MAX_PENDING_HEARTBEATS) this.pending.shift();
    this.metrics.lagSeconds.set(this.confirmedAt === 0 ? 0 : Math.max(0, (Date.now() - this.confirmedAt) / 1000));
    // A transaction of its own for the heartbeat time is a commit like a batch's; one that is coming records it anyway.
    if (this.bootstrapping || this.position === undefined || this.batchWaiting) return;
    const at = this.reached(this.watermark ?? 0);
    if (at === undefined) return;
    try {
      const open = this.writer.get();
      if (open === undefined) return;
      writeMeta(open.replica.db, { confirmedAt: at });
      this.confirmed(at);
    } catch (e) {
      this.note(`${this.o.replicaPath}: cannot record the heartbeat: ${(e as Error).message}`);
    }
  }
}

/** Runs a NATS follower until the signal aborts. */
export function followNats(opts: NatsFollowerOptions): Promise<void> {
  return new NatsFollower(opts).run();
}
