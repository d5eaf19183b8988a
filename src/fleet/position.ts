// Where a NATS follower's replica stands in the stream: the last applied
// stream sequence and the stream it belongs to (its creation time tells a
// recreated stream of the same name apart). Kept in the replica's own
// metadata table, written in the same SQLite transaction as the changes.
import type Database from "better-sqlite3";

export interface StreamPosition {
  stream: string;
  created: string;
  seq: number;
}

const KEYS = { stream: "nats_stream", created: "nats_stream_created", seq: "nats_stream_seq" } as const;

export function readPosition(db: Database.Database): StreamPosition | undefined {
  const rows = db.prepare("SELECT key, value FROM replica_meta WHERE key IN (?, ?, ?)").all(KEYS.stream, KEYS.created, KEYS.seq) as {
    key: string;
    value: string;
  }[];
  const m = new Map(rows.map((r) => [r.key, r.value]));
  const seq = Number(m.get(KEYS.seq));
  const stream = m.get(KEYS.stream);
  const created = m.get(KEYS.created);
  if (stream === undefined || created === undefined || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  return { stream, created, seq };
}

/** One prepared upsert per open database: written with every applied batch. */
const upserts = new WeakMap<Database.Database, Database.Statement>();

export function writePosition(db: Database.Database, p: Partial<StreamPosition>): void {
  let put = upserts.get(db);
  if (put === undefined) {
    put = db.prepare("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    upserts.set(db, put);
  }
  if (p.stream !== undefined) put.run(KEYS.stream, p.stream);
  if (p.created !== undefined) put.run(KEYS.created, p.created);
  if (p.seq !== undefined) put.run(KEYS.seq, String(p.seq));
}
