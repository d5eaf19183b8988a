// The facts of recently asked tenants and users (JSON text, secrets already
// removed) as read from one replica file, so a busy subject's next decision
// skips its SQLite lookup. Valid for one data version of the file: the read
// view (replica-facts.ts) gives it SQLite's PRAGMA data_version each time it
// opens, and a version that moved on (a follower committed changes) empties
// it. Unknown subjects are not kept, so ids nobody has cannot crowd out facts.
//
// Two generations bound it in entries and in characters: new entries go to
// the young one, an entry found in the old one moves to the young one, and a
// full young generation becomes the old one, dropping the previous old one
// whole. Each step is O(1); evicting the single oldest entry of one Map
// instead walks the deleted entries V8 keeps at its head until a rehash.

/** Facts larger than this are always read from the file. */
const MAX_ENTRY_CHARS = 64 * 1024;

export class FactCache {
  private young = new Map<string, string>();
  private old = new Map<string, string>();
  private youngChars = 0;
  private version: number | null = null;
  /** Bounds of one generation: the cache holds at most twice these. */
  private readonly entriesPerGeneration: number;
  private readonly charsPerGeneration: number;

  constructor(maxEntries: number, maxChars: number) {
    this.entriesPerGeneration = Math.floor(maxEntries / 2);
    this.charsPerGeneration = Math.floor(maxChars / 2);
  }

  /** Keeps the entries when `version` is the one they were read at; empties the cache otherwise. */
  at(version: number): void {
    if (version === this.version) return;
    this.clear();
    this.version = version;
  }

  get(id: string): string | undefined {
    const text = this.young.get(id);
    if (text !== undefined) return text;
    const aging = this.old.get(id);
    if (aging !== undefined) this.keep(id, aging);
    return aging;
  }

  set(id: string, text: string): void {
    if (!this.young.has(id)) this.keep(id, text);
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

  private keep(id: string, text: string): void {
    if (text.length > MAX_ENTRY_CHARS || text.length > this.charsPerGeneration || this.entriesPerGeneration === 0) return;
    if (this.young.size >= this.entriesPerGeneration || this.youngChars + text.length > this.charsPerGeneration) {
      this.old = this.young;
      this.young = new Map();
      this.youngChars = 0;
    }
    this.young.set(id, text);
    this.youngChars += text.length;
  }
}
