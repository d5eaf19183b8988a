// The snapshot download's stall guard: a read that receives nothing is abandoned
// with a one-line snapshot_error (the follower's retry loop then reads afresh);
// a read that keeps receiving is never cut, however long it takes in all.
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { guardedPipe, stallGuard } from "../../src/fleet/stall-guard.js";

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

function guarded(source: Readable, ms: number): Promise<void> {
  const guard = stallGuard("snapshot object snapshot in T_SNAPSHOTS", ms);
  return guardedPipe(source, sink(), guard).finally(() => guard.done());
}

describe("snapshot stall guard", () => {
  it("abandons a read whose chunks never come, with one line naming the object", async () => {
    const never = new Readable({ read: () => undefined });
    const e = (await guarded(never, 200).catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.code).toBe("snapshot_error");
    expect(e.message).toMatch(/^snapshot object snapshot in T_SNAPSHOTS: nothing received for 0.2 s/);
    expect(e.message).not.toContain("\n");
  });

  it("keeps a read that goes on receiving, longer in all than the guard's time", async () => {
    let sent = 0;
    const slow = new Readable({
      read() {
        setTimeout(() => this.push(sent++ < 50 ? Buffer.from("chunk") : null), 50);
      },
    });
    await expect(guarded(slow, 1500)).resolves.toBeUndefined();
    expect(sent).toBe(51);
  });

  it("abandons a step that never settles", async () => {
    const guard = stallGuard("snapshot object snapshot in T_SNAPSHOTS", 100);
    await expect(guard.step(new Promise(() => undefined))).rejects.toThrow(/nothing received for 0.1 s/);
    guard.done();
  });
});
