// Hot reload: notices that the bundle or the replica file changed while
// serving and asks the server to load the new one. Change is judged from the
// file's identity (inode, size, mtime), polled, because both files are replaced
// by rename and a rename is what fs.watch reports least reliably. Loading and
// the refuse-and-keep-the-last-good-one rule belong to the caller.
import { statSync } from "node:fs";

export interface WatchedFile {
  path: string;
  /** Loads the file anew; throws to refuse it (the caller keeps its last good one). */
  load: () => Promise<void>;
}

function signature(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return "absent";
  }
}

export class Reloader {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly files: WatchedFile[],
    private readonly onRefused: (path: string, e: unknown) => void,
  ) {
    for (const f of files) this.seen.set(f.path, signature(f.path));
  }

  start(intervalMs: number): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Loads every file whose identity changed since the last check; one check at a time. */
  check(): Promise<void> {
    if (this.running === null) {
      this.running = this.checkOnce().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    for (const f of this.files) {
      const now = signature(f.path);
      if (now === this.seen.get(f.path)) continue;
      // Remembered before loading: a refused file is not retried until it changes again.
      this.seen.set(f.path, now);
      if (now === "absent") continue;
      try {
        await f.load();
      } catch (e) {
        this.onRefused(f.path, e);
      }
    }
  }
}
