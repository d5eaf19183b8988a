// The snapshot file format. A snapshot is newline-delimited JSON so it can be
// written and read as a stream, one row per line, and is self-contained:
//
//   line 1      header: {"format":"capgate-snapshot","format_version":1, ids, times, tables}
//   per table   {"table":"<name>"} then one JSON array per row, columns as in the header
//   last line   trailer: {"end":"capgate-snapshot","digest":"sha256:<hex>","signature":<JWS|null>}
//
// The digest is sha256 over every byte before the trailer line, so it covers
// the header and all rows; the optional signature is a compact JWS (ES256 or
// EdDSA) whose payload repeats the digest and the header's identity fields.
import { z } from "zod";

export const FORMAT_NAME = "capgate-snapshot";
export const FORMAT_VERSION = 1;
export const JWS_TYPE = "capgate-snapshot+jws";

export const headerSchema = z.object({
  format: z.literal(FORMAT_NAME),
  format_version: z.literal(FORMAT_VERSION),
  snapshot_id: z.string().min(1),
  schema_version: z.number().int(),
  watermark: z.number().int().nonnegative().nullable(),
  taken_at: z.iso.datetime({ offset: true }),
  source: z.string(),
  tables: z.array(z.object({ name: z.string(), columns: z.array(z.string()), rows: z.number().int().nonnegative() })),
});
export type SnapshotHeader = z.infer<typeof headerSchema>;

export const trailerSchema = z.object({
  end: z.literal(FORMAT_NAME),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  signature: z.string().nullable(),
});
export type SnapshotTrailer = z.infer<typeof trailerSchema>;

export const signedPayloadSchema = z.object({
  snapshot_id: z.string(),
  schema_version: z.number(),
  watermark: z.number().nullable(),
  taken_at: z.string(),
  digest: z.string(),
});
export type SignedPayload = z.infer<typeof signedPayloadSchema>;

export function signedPayloadFor(h: SnapshotHeader, digest: string): SignedPayload {
  return { snapshot_id: h.snapshot_id, schema_version: h.schema_version, watermark: h.watermark, taken_at: h.taken_at, digest };
}

/** What verify and inspect report about a snapshot file. */
export interface SnapshotInfo {
  file: string;
  header: SnapshotHeader;
  digest: string;
  bytes: number;
  signed: boolean;
  /** True only when a key was given and the signature checked out. */
  signatureVerified: boolean;
  /** The JWS algorithm and key id, when signed. */
  alg?: string;
  kid?: string;
}
