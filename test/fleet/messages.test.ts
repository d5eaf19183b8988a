// Change messages as followers decode them: the body the relay encodes reads
// back; garbage is one sync_error line naming the stream message; and the
// decodes shared by the followers of one process answer only for the very
// bytes that were checked (a different or altered message is decoded, and
// refused, afresh).
import { describe, expect, it } from "vitest";
import { encodeChange, parseChange } from "../../src/fleet/index.js";

const body = (seq: number, name: string, prev = seq - 1): Uint8Array =>
  encodeChange({ seq, table_name: "tenants", op: "U", row_data: { id: "t1", name } }, prev);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("change messages", () => {
  it("read back what the relay encodes, with the predecessor's id", () => {
    expect(parseChange(body(12, "A"), 5)).toEqual({ seq: 12, table_name: "tenants", op: "U", row_data: { id: "t1", name: "A" }, prev: 11 });
  });

  it("refuse garbage in one line naming the stream message", () => {
    const cases: [Uint8Array, RegExp][] = [
      [text("{not json"), /^stream message 7: not JSON$/],
      [text('{"seq": 3, "table_name": "tenants", "op": "U", "row_data": {}}'), /^stream message 7: bad field prev: /],
      [text('{"seq": 3, "table_name": "tenants", "op": "X", "row_data": {}, "prev": 2}'), /^stream message 7: bad field op: /],
      [text('{"seq": 3, "table_name": "tenants", "op": "U", "row_data": {}, "prev": 2, "extra": 1}'), /^stream message 7: bad field /],
      [body(3, "A", 3), /^stream message 7: prev 3 must be a change id below seq 3$/],
    ];
    for (const [data, want] of cases) expect(() => parseChange(data, 7)).toThrow(want);
  });

  it("share a decode only for identical bytes", () => {
    const first = parseChange(body(40, "first"), 1000);
    expect(parseChange(body(40, "first"), 1000)).toBe(first);
    // Another message for the same stream sequence (a recreated stream) is decoded afresh.
    expect(parseChange(body(41, "second"), 1000).row_data["name"]).toBe("second");
    // Garbage is refused even where a good decode sits.
    parseChange(body(42, "good"), 2000);
    expect(() => parseChange(text("garbage"), 2000)).toThrow(/stream message 2000: not JSON/);
    // The bytes checked are a copy: the buffer changed afterwards is checked again.
    const buf = body(43, "kept");
    const kept = parseChange(buf, 3000);
    buf[0] = 0x20;
    buf[1] = 0x7b;
    expect(() => parseChange(buf, 3000)).toThrow(/stream message 3000: not JSON/);
    expect(kept.row_data["name"]).toBe("kept");
  });

  it("are frozen, so no follower can change what the others read", () => {
    const c = parseChange(body(50, "frozen"), 4000);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.row_data)).toBe(true);
    expect(() => {
      (c.row_data as Record<string, unknown>)["name"] = "changed";
    }).toThrow(TypeError);
  });
});
