// time.* zones where the YAML cases cannot reach: "Local" (the process's zone,
// which this file sets through TZ; vitest runs each file in its own process),
// the exact error a compiled policy gives for an unknown zone, and which
// modules list the host built-in the runtime asks for offsets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { TZ_OFFSET_BUILTIN } from "../../src/wasm-abi/index.js";
import { CapgateError } from "../../src/errors.js";
import { hostBuiltins } from "../../src/policy/host-builtins/index.js";
import { evaluatePolicy, instantiatePolicy, type PolicyInstance } from "../../src/policy/runtime/index.js";

async function load(rego: string): Promise<PolicyInstance> {
  // Strict built-in errors, so that an unknown zone shows its error (OPA's default makes it undefined).
  const compiled = compilePolicy({ sources: [{ file: "t.rego", text: rego }], entrypoints: ["t"], strictBuiltinErrors: true });
  return instantiatePolicy(compiled.wasm);
}

const result = (inst: PolicyInstance, input: unknown): unknown => evaluatePolicy(inst, input, "t")[0]?.["result"];

describe("Local", () => {
  const saved = process.env["TZ"];
  beforeAll(() => {
    process.env["TZ"] = "Pacific/Auckland";
  });
  afterAll(() => {
    if (saved === undefined) delete process.env["TZ"];
    else process.env["TZ"] = saved;
  });

  // 2024-01-08 14:00Z is 03:00 on Tuesday the 9th in Auckland (NZDT, +13).
  const ns = 1704722400000000000;

  it("is the process's zone in a compiled policy", async () => {
    const inst = await load(`package t
      local := [time.date([input.ns, "Local"]), time.clock([input.ns, "Local"]), time.weekday([input.ns, "Local"])]
      named := [time.date([input.ns, "Pacific/Auckland"]), time.clock([input.ns, "Pacific/Auckland"]), time.weekday([input.ns, "Pacific/Auckland"])]`);
    const r = result(inst, { ns }) as { local: unknown; named: unknown };
    expect(r.local).toEqual([[2024, 1, 9], [3, 0, 0], "Tuesday"]);
    expect(r.local).toEqual(r.named);
  });

  it("is the process's zone in the host built-ins", () => {
    expect(hostBuiltins.get("time.clock")!.impl([[ns, "Local"]], {})).toEqual([3, 0, 0]);
    expect(hostBuiltins.get(TZ_OFFSET_BUILTIN)!.impl(["Local", ns / 1e9, false], {})).toBe(13 * 3600);
  });
});

describe("compiled policies", () => {
  it("fail an unknown zone with OPA's message at the call", async () => {
    const inst = await load("package t\nx := time.clock([0, input.tz])\n");
    let thrown: unknown;
    try {
      result(inst, { tz: "Mars/Olympus" });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CapgateError);
    const err = thrown as CapgateError;
    expect(err.code).toBe("eval_builtin_error");
    expect(err.message).toBe("time.clock: unknown time zone Mars/Olympus");
    expect(err.location).toMatchObject({ file: "t.rego", row: 2 });
  });

  it("list the offset built-in only when they call a time.* built-in the runtime runs", async () => {
    expect((await load("package t\nx := time.weekday(0)\n")).builtins).toContain(TZ_OFFSET_BUILTIN);
    expect((await load("package t\nx := time.now_ns()\n")).builtins).not.toContain(TZ_OFFSET_BUILTIN);
  });

  it("read \"UTC\", \"\" and a bare number alike", async () => {
    const inst = await load("package t\nx := [time.clock([input.ns, \"UTC\"]), time.clock([input.ns, \"\"]), time.clock(input.ns)]\n");
    expect(result(inst, { ns: 1704722400000000000 })).toEqual({ x: [[14, 0, 0], [14, 0, 0], [14, 0, 0]] });
  });
});
