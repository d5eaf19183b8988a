// The FactSource over the SQLite replica (src/replica): the tenant's and the
// user's facts as JSON read through the replica's read view (one read
// transaction per VIEW_MS, src/replica/read-view.ts), with every secret
// removed, the catalog defaults, and the replica's state. No rule about what a
// value means is decided here.
//
// No SQLite error escapes except from a lookup (whose caller denies): a
// damaged file found by a lookup, the view's timer or an integrity check marks
// the source corrupt for good, and from then on it is never read again and
// every decision is denied until a fresh snapshot replaces the file; a note
// beside the file (reportDamage) tells whatever follows the primary to do so.
//
// Facts read are kept in a FactCache (fact-cache.ts) for the file's current
// data version, so a subject asked about again skips SQLite. A lookup still
// opens the read view first, so a source marked corrupt answers nothing.
// Behind that cache SQLite's own page cache is kept small (SQLITE_PAGE_CACHE_KIB):
// better-sqlite3 builds SQLite with 16 MB per connection, which a replica
// larger than that fills with the long tail's pages, malloc'd on the main
// thread and never given back (the realistic bench's 14 MB replica: +8-9 MiB
// of RSS over its first million decisions, none at 2 MB; the lookups then
// cost about 0.4 µs more per decision, read from the OS's file cache).
import {
  corruptReplicaError,
  isCorruptReplica,
  openReadView,
  openReplica,
  quickCheck,
  reportDamage,
  type Replica,
  type ReplicaState,
} from "../../replica/index.js";
import { CapgateError } from "../../errors.js";
import { withoutSecrets } from "../../secrets.js";
import { FactCache } from "./fact-cache.js";
import type { FactSource } from "./facts.js";

/** SQLite's page cache for the replica's connection, in KiB (a negative cache_size): its B-tree's upper levels and hot leaves. */
const SQLITE_PAGE_CACHE_KIB = 2000;
/**
 * Bounds of the fact caches: tenants, and users (whose facts are larger).
 * Every decision reads its tenant, and a tenant's lookup (two grouped
 * subqueries) is the dearer one: about 11 µs under load against 6 for a
 * user. Tenant facts are small (about 130 characters in the realistic bench),
 * so the entry bound, not the characters, is what binds: at 4,096 entries,
 * 28 % of that bench's requests missed their tenant; at 16,384, 4 %
 * (about 1.2 MiB of heap for 10,000 tenants).
 */
const CACHED_TENANTS = { entries: 16_384, chars: 4 * 1024 * 1024 };
const CACHED_USERS = { entries: 16_384, chars: 8 * 1024 * 1024 };

/** Where a damaged replica was noticed (the label of the corruption metric). */
export type CorruptionFinder = "lookup" | "integrity_check" | "load";

export interface ReplicaFactsOptions {
  /** Told once, when the source finds its file damaged. */
  onCorrupt?: (reason: string, foundBy: CorruptionFinder) => void;
  /** PRAGMA quick_check before the first read (default true). */
  integrityCheck?: boolean;
}

export function openReplicaFacts(
  path: string,
  maxStalenessSeconds: number,
  clock: () => number,
  opts: ReplicaFactsOptions = {},
): FactSource {
  const replica: Replica = openReplica(path, { integrityCheck: opts.integrityCheck ?? true });
  try {
    return replicaFacts(replica, maxStalenessSeconds, clock, opts);
  } catch (e) {
    closeQuietly(replica);
    if (!isCorruptReplica(e) || (e instanceof CapgateError && e.details?.["corrupt"] === true)) throw e;
    throw corruptReplicaError(path, (e as Error).message, e);
  }
}

/**
 * What serves in place of a replica found damaged before it ever served: it
 * reads nothing, says corrupt (so /ready and every decision name the damage),
 * and leaves the note that has a follower replace the file.
 */
export function damagedReplica(file: string, reason: string): FactSource {
  try {
    reportDamage(file, reason);
  } catch {
    // Best effort, as for a source marked corrupt while serving.
  }
  const refuse = (): never => {
    throw new CapgateError("replica_error", reason, { details: { corrupt: true } });
  };
  return {
    file,
    state: () => ({ status: "corrupt", version: null, age_seconds: null, detail: reason }),
    tenantJson: refuse,
    userJson: refuse,
    defaultsJson: () => "{}",
    checkIntegrity: () => reason,
    markCorrupt: () => undefined,
    close: () => undefined,
  };
}

export function replicaFacts(replica: Replica, maxStalenessSeconds: number, clock: () => number, opts: ReplicaFactsOptions = {}): FactSource {
  replica.db.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
  const tenants = new FactCache(CACHED_TENANTS.entries, CACHED_TENANTS.chars);
  const users = new FactCache(CACHED_USERS.entries, CACHED_USERS.chars);
  // Secrets at the top of a capability's data are removed by SQLite; a deeper one by scrubbed() below.
  const reads = openReadView(replica, {
    maxStalenessMs: maxStalenessSeconds * 1000,
    clock,
    onOpen: (version) => {
      tenants.at(version);
      users.at(version);
    },
    onEndFailure: (e) => noted(e, "lookup"),
  });

  let closed = false;
  /** Why the file is known damaged; once set, never cleared. */
  let corrupt: string | null = null;
  const markCorrupt = (reason: string, foundBy: CorruptionFinder): void => {
    if (corrupt !== null) return;
    corrupt = reason;
    reads.end();
    let unreported: string | undefined;
    try {
      reportDamage(replica.file, reason);
    } catch (e) {
      unreported = (e as Error).message;
    }
    opts.onCorrupt?.(unreported === undefined ? reason : `${reason} (the follower could not be told: ${unreported})`, foundBy);
  };
  /** Notes a SQLite failure: a damaged file marks the source corrupt; other failures pass. */
  const noted = (e: unknown, foundBy: CorruptionFinder): unknown => {
    if (isCorruptReplica(e)) markCorrupt((e as Error).message, foundBy);
    return e;
  };
  /** The state of the current read view, opening one when none is. */
  const view = (): ReplicaState => {
    if (corrupt !== null) throw corruptReplicaError(replica.path, corrupt);
    return reads.state();
  };
  const lookup = (cache: FactCache, query: (id: string) => string | undefined, id: string): string | null => {
    let text: string | undefined;
    try {
      view();
      const known = cache.get(id);
      if (known !== undefined) return known;
      text = query(id);
    } catch (e) {
      throw noted(e, "lookup");
    }
    if (text === undefined) return null;
    const clean = scrubbed(text);
    cache.set(id, clean);
    return clean;
  };
  const corruptState = (reason: string): ReplicaState => ({ status: "corrupt", version: null, age_seconds: null, detail: reason });

  return {
    file: replica.file,
    state(): ReplicaState {
      if (closed) return { status: "missing", version: null, age_seconds: null, detail: "replica closed" };
      if (corrupt !== null) return corruptState(corrupt);
      try {
        return view();
      } catch (e) {
        noted(e, "lookup");
        if (corrupt !== null) return corruptState(corrupt);
        return { status: "missing", version: null, age_seconds: null, detail: `replica cannot be read: ${(e as Error).message}` };
      }
    },
    tenantJson: (id) => lookup(tenants, reads.tenantJson, id),
    userJson: (id) => lookup(users, reads.userJson, id),
    defaultsJson: () => reads.defaultsJson,
    checkIntegrity(): string | null {
      if (closed || corrupt !== null) return corrupt;
      // Outside a read view, so the check does not hold one open while it walks the file.
      reads.end();
      const problem = quickCheck(replica.db);
      if (problem !== null) markCorrupt(`${replica.path}: replica is corrupt: ${problem}`, "integrity_check");
      return problem;
    },
    markCorrupt: (reason) => markCorrupt(reason, "load"),
    close() {
      if (closed) return;
      closed = true;
      reads.end();
      tenants.clear();
      users.clear();
      closeQuietly(replica);
    },
  };
}

function closeQuietly(replica: Replica): void {
  try {
    replica.close();
  } catch {
    // Closing a damaged file can fail; the handle is dropped either way.
  }
}

/** The facts with every secret removed at any depth; text without a secret-looking key passes as it is. */
function scrubbed(text: string): string {
  return text.includes("secret") ? JSON.stringify(withoutSecrets(JSON.parse(text))) : text;
}
