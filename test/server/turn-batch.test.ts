// The turn batcher that starts the decisions of one event-loop turn together:
// each caller gets its own result or its own error, in any mix, and a call
// made after a group has started joins the next group.
import { describe, expect, it } from "vitest";
import { turnBatched } from "../../src/server/http/turn-batch.js";

describe("turnBatched", () => {
  it("starts the calls of one turn together, after the turn, and answers each with its own result", async () => {
    const started: number[][] = [];
    let group: number[] = [];
    const run = turnBatched(async (n: number) => {
      if (group.length === 0) queueMicrotask(() => { started.push(group); group = []; });
      group.push(n);
      return n * 10;
    });
    const first = [1, 2, 3].map(run);
    expect(group).toEqual([]); // nothing runs before the turn ends
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    expect(await run(4)).toBe(40);
    expect(started).toEqual([[1, 2, 3], [4]]);
  });

  it("rejects only the call whose run failed, whether it threw or rejected", async () => {
    const run = turnBatched((n: number): Promise<number> => {
      if (n === 2) throw new Error("thrown for 2");
      if (n === 3) return Promise.reject(new Error("rejected for 3"));
      return Promise.resolve(n);
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map(run));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([1, "thrown for 2", "rejected for 3", 4]);
  });
});
