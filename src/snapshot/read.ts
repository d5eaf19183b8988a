// Reads a snapshot file as a stream: checks its structure line by line,
// hands each row to the caller, recomputes the digest, and at the end checks
// the trailer (digest, and the signature when a key is given). Any defect is
// one snapshot_error naming the file and line; callers must treat rows they
// received as untrusted until this returns.
import { createHash } from "node:crypto";
import { createReadStream, readSync, openSync, closeSync } from "node:fs";
import { compactVerify, decodeProtectedHeader } from "jose";
import { CapgateError } from "../errors.js";
import {
  headerSchema, trailerSchema, signedPayloadSchema, signedPayloadFor, FORMAT_NAME, JWS_TYPE,
  type SnapshotHeader, type SnapshotInfo,
} from "./format.js";
import type { LoadedKey } from "./keys.js";
import { safeParseWorded } from "../zod-wording.js";

export interface ReadOptions {
  /** Verify the signature with this key; the snapshot must then be signed. */
  key?: LoadedKey;
  /** Called once the header is parsed, before any row (may throw to stop early). */
  onHeader?: (h: SnapshotHeader) => void;
  /** Called for each row, in file order, with the row's table index and values. */
  onRow?: (tableIndex: number, values: unknown[]) => void;
  /**
   * Called instead of onRow with the row's unparsed JSON text (it starts with
   * "["): for a consumer that parses rows itself, in bulk. The consumer must
   * then check each row's width.
   */
  onRowText?: (tableIndex: number, line: string) => void;
  /** Called now and then with the rows read so far. */
  onProgress?: (rows: number) => void;
}

const fail = (file: string, msg: string, cause?: unknown): CapgateError =>
  new CapgateError("snapshot_error", `${file}: ${msg}`, cause === undefined ? {} : { cause });

function parseHeader(file: string, text: string): SnapshotHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fail(file, "line 1: not a capgate snapshot (header is not JSON)");
  }
  if (typeof raw !== "object" || raw === null || (raw as Record<string, unknown>)["format"] !== FORMAT_NAME) {
    throw fail(file, "line 1: not a capgate snapshot (no capgate-snapshot header)");
  }
  const r = safeParseWorded(headerSchema, raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw fail(file, `line 1: bad header field ${issue?.path.join(".") || "?"}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

/** The header alone, from the first line (cheap checks before reading the whole file). */
export function readHeader(file: string): SnapshotHeader {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw fail(file, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (let total = 0; total < 16 * 1024 * 1024; ) {
      const n = readSync(fd, buf, 0, buf.length, total);
      if (n === 0) break;
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl >= 0) {
        chunks.push(Buffer.from(buf.subarray(0, nl)));
        return parseHeader(file, Buffer.concat(chunks).toString("utf8"));
      }
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
    }
    throw fail(file, "line 1: not a capgate snapshot (no header line)");
  } finally {
    closeSync(fd);
  }
}

export async function readSnapshot(file: string, opts: ReadOptions = {}): Promise<SnapshotInfo> {
  const hash = createHash("sha256");
  let header: SnapshotHeader | undefined;
  let trailerText: string | undefined;
  let lineNo = 0;
  let bytes = 0;
  let table = -1;
  let tableRows = 0;
  let rows = 0;
  let pending: Buffer | undefined;

  const closeTable = (): void => {
    if (header && table >= 0 && tableRows !== header.tables[table]!.rows) {
      throw fail(file, `line ${lineNo}: table ${header.tables[table]!.name} has ${tableRows} rows, header says ${header.tables[table]!.rows}`);
    }
  };

  const onLine = (line: Buffer): void => {
    lineNo++;
    if (trailerText !== undefined) throw fail(file, `line ${lineNo}: data after the trailer`);
    const text = line.toString("utf8");
    if (header === undefined) {
      header = parseHeader(file, text);
      opts.onHeader?.(header);
      return;
    }
    const first = line[0];
    if (first === 0x5b /* [ */) {
      if (table < 0) throw fail(file, `line ${lineNo}: row before any table section`);
      if (opts.onRowText && !opts.onRow) {
        tableRows++;
        rows++;
        if (opts.onProgress && rows % 50_000 === 0) opts.onProgress(rows);
        opts.onRowText(table, text);
        return;
      }
      let values: unknown;
      try {
        values = JSON.parse(text);
      } catch {
        throw fail(file, `line ${lineNo}: row is not JSON (file damaged?)`);
      }
      const spec = header.tables[table]!;
      if (!Array.isArray(values) || values.length !== spec.columns.length) {
        throw fail(file, `line ${lineNo}: row of ${spec.name} must be an array of ${spec.columns.length} values`);
      }
      tableRows++;
      rows++;
      if (opts.onProgress && rows % 50_000 === 0) opts.onProgress(rows);
      opts.onRow?.(table, values);
      return;
    }
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw fail(file, `line ${lineNo}: not JSON (file damaged?)`);
    }
    if (typeof obj["table"] === "string") {
      closeTable();
      table++;
      tableRows = 0;
      if (table >= header.tables.length || header.tables[table]!.name !== obj["table"]) {
        throw fail(file, `line ${lineNo}: unexpected table section ${String(obj["table"])}`);
      }
      return;
    }
    if (obj["end"] === FORMAT_NAME) {
      closeTable();
      trailerText = text;
      return;
    }
    throw fail(file, `line ${lineNo}: neither a row, a table section nor the trailer`);
  };

  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        const line = buf.subarray(start, nl);
        onLine(line);
        // Everything before the trailer line is content and goes into the digest.
        if (trailerText === undefined) hash.update(buf.subarray(start, nl + 1));
        start = nl + 1;
      }
      pending = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
      buf = Buffer.alloc(0);
    }
  } catch (e) {
    if (e instanceof CapgateError) throw e;
    throw fail(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, e);
  } finally {
    stream.destroy();
  }
  if (pending !== undefined && pending.length > 0) throw fail(file, `ends in the middle of line ${lineNo + 1} (truncated)`);
  if (header === undefined) throw fail(file, "empty file: not a capgate snapshot");
  if (trailerText === undefined) throw fail(file, "ends before its trailer (truncated)");
  if (table !== header.tables.length - 1) throw fail(file, `has ${table + 1} table sections, header lists ${header.tables.length}`);

  const t = trailerSchema.safeParse(JSON.parse(trailerText));
  if (!t.success) throw fail(file, `line ${lineNo}: bad trailer`);
  const digest = `sha256:${hash.digest("hex")}`;
  if (t.data.digest !== digest) throw fail(file, "content digest mismatch: the file was altered or damaged");

  const info: SnapshotInfo = { file, header, digest, bytes, signed: t.data.signature !== null, signatureVerified: false };
  if (t.data.signature !== null) {
    try {
      const ph = decodeProtectedHeader(t.data.signature);
      if (typeof ph.alg === "string") info.alg = ph.alg;
      if (typeof ph.kid === "string") info.kid = ph.kid;
    } catch {
      throw fail(file, "signature is not a compact JWS");
    }
  }
  if (opts.key !== undefined) {
    if (t.data.signature === null) throw fail(file, "snapshot is not signed but a verification key was given");
    let payload: unknown;
    try {
      const r = await compactVerify(t.data.signature, opts.key.key, { algorithms: [opts.key.alg] });
      if (r.protectedHeader.typ !== JWS_TYPE) throw new Error(`JWS typ is ${String(r.protectedHeader.typ)}`);
      payload = JSON.parse(new TextDecoder().decode(r.payload));
    } catch (e) {
      throw fail(file, `signature does not verify with the given key (${(e as Error).message.split("\n")[0]})`);
    }
    const p = signedPayloadSchema.safeParse(payload);
    const want = signedPayloadFor(header, digest);
    if (!p.success || JSON.stringify(p.data) !== JSON.stringify(want)) {
      throw fail(file, "signature is valid but signs a different snapshot");
    }
    info.signatureVerified = true;
  }
  opts.onProgress?.(rows);
  return info;
}
