// `snapshot export`: reads every mirrored table of the primary inside one
// REPEATABLE READ, read-only transaction (so rows, schema version and
// watermark belong to the same instant) and streams them into a snapshot
// file. The file is written under a temporary name and renamed when complete,
// so a crashed export never leaves a plausible-looking partial snapshot.
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, fsyncSync, openSync, closeSync, renameSync, rmSync } from "node:fs";
import { once } from "node:events";
import { CompactSign } from "jose";
import { CapgateError } from "../errors.js";
import type { Primary, Queryable } from "../primary/index.js";
import { TABLES } from "../replica/tables.js";
import { isSupportedSchemaVersion, SUPPORTED_SCHEMA_VERSIONS } from "../replica/schema.js";
import { FORMAT_NAME, FORMAT_VERSION, JWS_TYPE, signedPayloadFor, type SnapshotHeader, type SnapshotInfo } from "./format.js";
import type { LoadedKey } from "./keys.js";

export interface ExportOptions {
  signKey?: LoadedKey;
  /** Rows per FETCH from the primary's cursor. */
  batchRows?: number;
  onStart?: (totalRows: number) => void;
  onProgress?: (rows: number) => void;
}

/** The primary's migration version; refuses a dirty or missing migration state. */
export async function readSchemaVersion(q: Queryable): Promise<number> {
  const exists = await q.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (exists.rows[0]?.t == null) throw new CapgateError("snapshot_error", "primary has no schema_migrations table: run `capgate migrate up` first");
  const r = await q.query<{ version: number; dirty: boolean }>("SELECT version, dirty FROM schema_migrations LIMIT 1");
  const row = r.rows[0];
  if (row === undefined) throw new CapgateError("snapshot_error", "primary has no applied migration: run `capgate migrate up` first");
  if (row.dirty) throw new CapgateError("snapshot_error", `primary migration ${row.version} is dirty: fix it with \`capgate migrate\` before taking a snapshot`);
  return Number(row.version);
}

/** The highest change-log sequence visible to `q`, or null when the primary has no change log. */
export async function readWatermark(q: Queryable): Promise<number | null> {
  const exists = await q.query<{ t: string | null }>("SELECT to_regclass('capgate_change_log')::text AS t");
  if (exists.rows[0]?.t == null) return null;
  const r = await q.query<{ w: number | string }>(
    "SELECT greatest(coalesce((SELECT max(seq) FROM capgate_change_log), 0), (SELECT pruned_through FROM capgate_change_log_state)) AS w",
  );
  return Number(r.rows[0]!.w);
}

const selectSql = (name: string, columns: string[], key: string[]): string =>
  `SELECT json_build_array(${columns.map((c) => `"${c}"`).join(", ")})::text AS l FROM "${name}" ORDER BY ${key.map((c) => `"${c}"`).join(", ")}`;

export async function exportSnapshot(primary: Primary, outFile: string, opts: ExportOptions = {}): Promise<SnapshotInfo> {
  const batch = opts.batchRows ?? 20_000;
  const tmp = `${outFile}.tmp-${randomUUID().slice(0, 8)}`;
  const out = createWriteStream(tmp);
  const hash = createHash("sha256");
  let bytes = 0;
  const write = async (s: string): Promise<void> => {
    hash.update(s);
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, "drain");
  };
  let header!: SnapshotHeader;
  try {
    await primary.transaction(
      async (tx) => {
        const schemaVersion = await readSchemaVersion(tx);
        if (!isSupportedSchemaVersion(schemaVersion)) {
          throw new CapgateError(
            "snapshot_error",
            `primary schema version ${schemaVersion} is not supported by this capgate (supports ${SUPPORTED_SCHEMA_VERSIONS.min}..${SUPPORTED_SCHEMA_VERSIONS.max})`,
          );
        }
        const watermark = await readWatermark(tx);
        const tables = [];
        for (const t of TABLES) {
          const c = await tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM "${t.name}"`);
          tables.push({ name: t.name, columns: t.columns.map((x) => x.name), rows: Number(c.rows[0]!.n) });
        }
        header = {
          format: FORMAT_NAME,
          format_version: FORMAT_VERSION,
          snapshot_id: randomUUID(),
          schema_version: schemaVersion,
          watermark,
          taken_at: new Date().toISOString(),
          source: primary.kind,
          tables,
        };
        opts.onStart?.(tables.reduce((a, t) => a + t.rows, 0));
        await write(JSON.stringify(header) + "\n");
        let done = 0;
        for (const t of TABLES) {
          await write(JSON.stringify({ table: t.name }) + "\n");
          await tx.exec(`DECLARE capgate_export NO SCROLL CURSOR FOR ${selectSql(t.name, t.columns.map((c) => c.name), t.key)}`);
          for (;;) {
            const r = await tx.query<{ l: string }>(`FETCH ${batch} FROM capgate_export`);
            if (r.rows.length === 0) break;
            let chunk = "";
            for (const row of r.rows) chunk += row.l + "\n";
            await write(chunk);
            done += r.rows.length;
            opts.onProgress?.(done);
          }
          await tx.exec("CLOSE capgate_export");
        }
      },
      { isolation: "repeatable read", readOnly: true },
    );
    const digest = `sha256:${hash.digest("hex")}`;
    let signature: string | null = null;
    if (opts.signKey) {
      const payload = new TextEncoder().encode(JSON.stringify(signedPayloadFor(header, digest)));
      signature = await new CompactSign(payload)
        .setProtectedHeader({ alg: opts.signKey.alg, typ: JWS_TYPE, ...(opts.signKey.kid !== undefined ? { kid: opts.signKey.kid } : {}) })
        .sign(opts.signKey.key);
    }
    const trailer = JSON.stringify({ end: FORMAT_NAME, digest, signature }) + "\n";
    bytes += Buffer.byteLength(trailer);
    out.end(trailer);
    await once(out, "finish");
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, outFile);
    return {
      file: outFile, header, digest, bytes, signed: signature !== null, signatureVerified: false,
      ...(opts.signKey ? { alg: opts.signKey.alg } : {}), ...(opts.signKey?.kid !== undefined ? { kid: opts.signKey.kid } : {}),
    };
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    if (e instanceof CapgateError) throw e;
    throw new CapgateError("snapshot_error", `export to ${outFile} failed: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}
