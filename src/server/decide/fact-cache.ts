// Facts kept for one version of their source, bounded in entries and in
// characters. The replica's fact source (replica-facts.ts) keeps the facts
// of recently asked tenants and users (JSON text, secrets already removed),
// so a busy subject's next decision skips its SQLite lookup; its version is
// SQLite's PRAGMA data_version, read each time a read view opens, and a
// version that moved on (a follower committed changes) empties the cache.
// Unknown subjects are not kept, so ids nobody has cannot crowd out facts.
// The JWT verifier (jwt.ts) keeps verified tokens' facts the same way, for
// one key set.
//
// Two generations bound it: new entries go to the young one, an entry found
// in the old one moves to the young one, and a full young generation becomes
// the old one, dropping the previous old one whole. Each step is O(1);
// evicting the single oldest entry of one Map instead walks the deleted
// entries V8 keeps at its head until a rehash.

/** Facts larger than this are always read from their source. */
const MAX_ENTRY_CHARS = 64 * 1024;

/** The weight of JSON text: its length. */
const textLength = (_id: string, value: unknown): number => (typeof value === "string" ? value.length : 0);

export class FactCache<V = string> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private youngChars = 0;
  private version: number | null = null;
  /** Bounds of one generation: the cache holds at most twice these. */
  private readonly entriesPerGeneration: number;
  private readonly charsPerGeneration: number;

  /** `weigh` gives an entry's size in characters (by default a text value's length). */
  constructor(
    maxEntries: number,
    maxChars: number,
    private readonly weigh: (id: string, value: V) => number = textLength,
  ) {
    this.entriesPerGeneration = Math.floor(maxEntries / 2);
    this.charsPerGeneration = Math.floor(maxChars / 2);
  }

  /** Keeps the entries when `version` is the one they were read at; empties the cache otherwise. */
  at(version: number): void {
    if (version === this.version) return;
    this.clear();
    this.version = version;
  }

  get(id: string): V | undefined {
    const value = this.young.get(id);
    if (value !== undefined) return value;
    const aging = this.old.get(id);
    if (aging !== undefined) this.keep(id, aging);
    return aging;
  }

  set(id: string, value: V): void {
    if (!this.young.has(id)) this.keep(id, value);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngChars = 0;
    this.version = null;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private keep(id: string, value: V): void {
    const chars = this.weigh(id, value);
    if (chars > MAX_ENTRY_CHARS || chars > this.charsPerGeneration || this.entriesPerGeneration === 0) return;
    if (this.young.size >= this.entriesPerGeneration || this.youngChars + chars > this.charsPerGeneration) {
      this.old = this.young;
      this.young = new Map();
      this.youngChars = 0;
    }
    this.young.set(id, value);
    this.youngChars += chars;
  }
}
