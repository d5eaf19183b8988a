// time.now_ns in Wasm: the reading evaluatePolicy writes into the module's clock
// globals before each evaluation is what the policy sees, the same throughout
// one evaluation, replaced by the next evaluation's, overridden by `with`; when
// no reading is given the module asks the host (the system clock, fixed per
// evaluation), and a module loaded by the plain SDK, which never writes the
// globals, calls the time.now_ns built-in the SDK was given.
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { JsonText, evaluatePolicy, evaluatePolicyExact, instantiatePolicy } from "../../src/policy/runtime/index.js";

const REGO = `package t

now := time.now_ns()
twice := [time.now_ns(), time.now_ns()]
seconds := time.now_ns() / 1000000000
mocked := r if { r := time.now_ns() with time.now_ns as 42 }
`;

const wasm = (): Uint8Array => compilePolicy({ sources: [{ file: "t.rego", text: REGO }], entrypoints: ["t"] }).wasm;

type Doc = { now: number | bigint; twice: Array<number | bigint>; seconds: number; mocked: number };

describe("time.now_ns in Wasm", () => {
  it("answers the reading given for the evaluation, the same throughout it, and the next one's after", async () => {
    const inst = await instantiatePolicy(wasm());
    expect(inst.builtins).toContain("time.now_ns");
    // Read with every digit: the reading is past 2^53.
    const a = evaluatePolicyExact(inst, new JsonText("{}"), "t", { nowNs: 1_700_000_000_123_456_789n })[0]?.[
      "result"
    ] as Doc;
    expect(a.now).toBe(1_700_000_000_123_456_789n);
    expect(a.twice).toEqual([1_700_000_000_123_456_789n, 1_700_000_000_123_456_789n]);
    expect(a.mocked).toBe(42);
    const b = evaluatePolicy(inst, {}, "t", { nowNs: 3_000_000_000n })[0]?.["result"] as Doc;
    expect(b.now).toBe(3_000_000_000);
    expect(b.seconds).toBe(3);
  });

  it("asks the host's clock when no reading is given, also right after an evaluation that had one", async () => {
    const inst = await instantiatePolicy(wasm());
    evaluatePolicy(inst, {}, "t", { nowNs: 5n });
    const before = BigInt(Date.now()) * 1_000_000n;
    const doc = evaluatePolicyExact(inst, new JsonText("{}"), "t")[0]?.["result"] as Doc;
    const after = BigInt(Date.now()) * 1_000_000n;
    expect(BigInt(doc.now)).toBeGreaterThanOrEqual(before);
    expect(BigInt(doc.now)).toBeLessThanOrEqual(after);
    expect(doc.twice.map(BigInt)).toEqual([BigInt(doc.now), BigInt(doc.now)]);
  });

  it("takes a reading beyond i64 from the host, exactly", async () => {
    const inst = await instantiatePolicy(wasm());
    const big = 2n ** 63n + 7n;
    const doc = evaluatePolicyExact(inst, new JsonText("{}"), "t", { nowNs: big })[0]?.["result"] as Doc;
    expect(doc.now).toBe(big);
  });

  it("calls the host's time.now_ns from a module the plain SDK loaded, which never writes the clock globals", async () => {
    let calls = 0;
    const policy = await loadPolicy(wasm(), undefined, { "time.now_ns": () => (calls++, 7_000_000_000) });
    const doc = (policy.evaluate({}, "t") as Array<{ result: Doc }>)[0]?.result;
    expect(doc?.now).toBe(7_000_000_000);
    expect(doc?.seconds).toBe(7);
    expect(doc?.twice).toEqual([7_000_000_000, 7_000_000_000]);
    expect(calls).toBeGreaterThan(0);
  });
});
