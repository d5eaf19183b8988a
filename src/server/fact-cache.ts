// The facts of recently asked tenants and users (JSON text, secrets already
// removed) as read from one replica file, so a busy subject's next decision
// skips its SQLite lookup. Valid for one data version of the file: the read
// view (replica-facts.ts) gives it SQLite's PRAGMA data_version each time it
// opens, and a version that moved on (a follower committed changes) empties
// it. Bounded in entries and in characters; the oldest entries go first.
// Unknown subjects are not kept, so ids nobody has cannot crowd out facts.

/** Facts larger than this are always read from the file. */
const MAX_ENTRY_CHARS = 64 * 1024;

export class FactCache {
  private readonly entries = new Map<string, string>();
  private chars = 0;
  private version: number | null = null;

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  /** Keeps the entries when `version` is the one they were read at; empties the cache otherwise. */
  at(version: number): void {
    if (version === this.version) return;
    this.clear();
    this.version = version;
  }

  get(id: string): string | undefined {
    return this.entries.get(id);
  }

  set(id: string, text: string): void {
    if (text.length > MAX_ENTRY_CHARS || this.maxEntries === 0 || this.entries.has(id)) return;
    this.entries.set(id, text);
    this.chars += text.length;
    // Map iteration is insertion order: the first key is the oldest entry.
    while (this.entries.size > this.maxEntries || this.chars > this.maxChars) {
      const [oldest, old] = this.entries.entries().next().value as [string, string];
      this.entries.delete(oldest);
      this.chars -= old.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
    this.version = null;
  }

  get size(): number {
    return this.entries.size;
  }
}
