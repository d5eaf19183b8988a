// The replica a sidecar serves from, swapped whole when its file changes: a
// new one is opened beside the old, which is closed once no decision can still
// be reading it. A file found damaged when opened is never read: the one
// serving is marked corrupt if it is that file, and with nothing else to serve
// every decision is denied naming the damage, until a follower replaces it.
import type { Logger } from "pino";
import { currentGeneration, isCorruptReplica } from "../replica/index.js";
import { damagedReplica, openReplicaFacts, type CorruptionFinder, type FactSource, type ReplicaFactsOptions } from "./decide/index.js";
import type { ServerMetrics } from "./metrics.js";

/** Opens the replica at a path as a fact source (the SQLite replica's, unless a test gives another). */
export type OpenFacts = (path: string, maxStalenessSeconds: number, clock: () => number, opts?: ReplicaFactsOptions) => FactSource;

export interface ServingReplicaOptions {
  maxStalenessSeconds: number;
  clock: () => number;
  /** How long a replaced source stays open for decisions that read it before an await. */
  graceMs: number;
  metrics: ServerMetrics;
  log: Logger;
  openFacts?: OpenFacts;
}

export class ServingReplica {
  private current: FactSource | null = null;
  private readonly openFacts: OpenFacts;

  constructor(private readonly opts: ServingReplicaOptions) {
    this.openFacts = opts.openFacts ?? openReplicaFacts;
  }

  /** The source decisions read now, or null before any replica opened. */
  facts(): FactSource | null {
    return this.current;
  }

  /** Opens the replica at `path` and serves from it; throws (and keeps the last good one) when it cannot. */
  async open(path: string): Promise<void> {
    const { metrics, log } = this.opts;
    let next: FactSource;
    try {
      next = this.openFacts(path, this.opts.maxStalenessSeconds, this.opts.clock, { onCorrupt: (reason, foundBy) => this.corrupt(path, reason, foundBy) });
    } catch (e) {
      metrics.reloads.inc({ kind: "replica", outcome: "refused" });
      if (isCorruptReplica(e)) this.damagedAtOpen(path, (e as Error).message);
      throw e;
    }
    const previous = this.current;
    this.current = next;
    metrics.reloads.inc({ kind: "replica", outcome: "loaded" });
    log.info({ replica: path, version: next.state().version }, "replica opened");
    // A decision that read the old handle before an await may still use it briefly.
    if (previous !== null) setTimeout(() => previous.close(), this.opts.graceMs).unref();
  }

  close(): void {
    this.current?.close();
    this.current = null;
  }

  // Damaged in place: the file serving now is that file, so it must not be read either.
  private damagedAtOpen(path: string, reason: string): void {
    const file = generationOf(path);
    if (this.current !== null && this.current.file === file) this.current.markCorrupt(reason);
    else {
      this.corrupt(path, reason, "load");
      // Nothing good to keep serving: say why every decision is denied, until a follower replaces the file.
      if (this.current === null && file !== undefined) this.current = damagedReplica(file, reason);
    }
  }

  private corrupt(path: string, reason: string, foundBy: CorruptionFinder): void {
    this.opts.metrics.replicaCorruptions.inc({ found_by: foundBy });
    this.opts.log.error({ replica: path, found_by: foundBy, err: reason }, "replica is corrupt: decisions are denied (replica_corrupt) until a fresh snapshot replaces it");
  }
}

/** The file a replica path points at now, or undefined when it cannot be resolved. */
function generationOf(path: string): string | undefined {
  try {
    return currentGeneration(path);
  } catch {
    return undefined;
  }
}
