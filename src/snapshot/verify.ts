// `snapshot verify` and `snapshot inspect`: reading a snapshot without applying it.
import type { SnapshotInfo } from "./format.js";
import type { LoadedKey } from "./keys.js";
import { readHeader, readSnapshot } from "./read.js";
import type { SnapshotHeader } from "./format.js";

/** Checks structure, row counts, digest and (with a key) the signature; throws snapshot_error on any defect. */
export function verifySnapshot(file: string, opts: { key?: LoadedKey; onProgress?: (rows: number) => void } = {}): Promise<SnapshotInfo> {
  return readSnapshot(file, opts);
}

/** The header only: fast, and checks nothing beyond the first line. */
export function inspectSnapshot(file: string): SnapshotHeader {
  return readHeader(file);
}
