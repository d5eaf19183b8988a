// The emitted module's ABI surface and lifecycle through the real SDK: exports and
// imports, entrypoints by name and id, the pre-1.2 eval(ctx) path, builtins(),
// large data, and many evaluations on one instance with bounded memory.
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { describe, expect, it } from "vitest";
import { isCapgateError } from "../../src/errors.js";
import { emit } from "../../src/compiler/wasm/index.js";
import { buildPolicy, type PolicyLike } from "./ir-builder.js";

const lookup: PolicyLike = {
  host_builtins: [{ name: "test.upper", arity: 1 }],
  plans: {
    // data.users[input.user].role
    "authz/role": [
      [
        { Dot: { source: 1, key: "users", target: 2 } },
        { Dot: { source: 0, key: "user", target: 3 } },
        { Dot: { source: 2, key: 3, target: 4 } },
        { Dot: { source: 4, key: "role", target: 5 } },
        { Result: 5 },
      ],
    ],
    "authz/upper": [[{ Dot: { source: 0, key: "s", target: 2 } }, { Call: { func: "test.upper", args: [2], result: 3 } }, { Result: 3 }]],
    "authz/echo": [[{ Result: 0 }]],
  },
};

/** The WebAssembly API this file uses (the project's TypeScript libs do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Module: {
    exports(m: object): { name: string; kind: string }[];
    imports(m: object): { module: string; name: string; kind: string }[];
  };
}
interface Memory {
  buffer: ArrayBuffer;
}
interface Instance {
  exports: Record<string, unknown>;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const upper = { "test.upper": (s: string) => s.toUpperCase() };

describe("emitted module ABI", () => {
  it("exports exactly the ABI and imports only what the SDK provides", async () => {
    const mod = await WebAssembly.compile(emit(buildPolicy(lookup), { validate: true }));
    const exports = WebAssembly.Module.exports(mod).map((e) => `${e.kind}:${e.name}`).sort();
    expect(exports).toEqual(
      [
        "function:builtins",
        "function:entrypoints",
        "function:eval",
        "function:opa_eval",
        "function:opa_eval_ctx_get_result",
        "function:opa_eval_ctx_new",
        "function:opa_eval_ctx_set_data",
        "function:opa_eval_ctx_set_entrypoint",
        "function:opa_eval_ctx_set_input",
        "function:opa_free",
        "function:opa_heap_ptr_get",
        "function:opa_heap_ptr_set",
        "function:opa_json_dump",
        "function:opa_json_parse",
        "function:opa_malloc",
        "function:opa_value_add_path",
        "function:opa_value_dump",
        "function:opa_value_parse",
        "function:opa_value_remove_path",
        "global:opa_wasm_abi_minor_version",
        "global:opa_wasm_abi_version",
        "memory:memory",
      ].sort(),
    );
    const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
    for (const i of imports) expect(["env.memory", "env.opa_abort", "env.opa_println", "env.opa_builtin1"]).toContain(i);
    expect(imports).toContain("env.memory");
    expect(imports).toContain("env.opa_builtin1");
  });

  it("reports ABI 1.2, its entrypoints and host built-ins", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup)), undefined, upper);
    expect(policy.minorVersion).toBe(2);
    expect(policy.entrypoints).toEqual({ "authz/role": 0, "authz/upper": 1, "authz/echo": 2 });
    const exports = (policy as unknown as { wasmInstance: Instance }).wasmInstance.exports;
    expect((exports["opa_wasm_abi_version"] as { value: number }).value).toBe(1);
    const mem = (policy as unknown as { mem: Memory }).mem;
    const dump = (addr: number) => {
      const buf = new Uint8Array(mem.buffer);
      let end = addr;
      while (buf[end] !== 0) end++;
      return JSON.parse(new TextDecoder().decode(buf.subarray(addr, end)));
    };
    const call = (name: string, ...args: number[]) => (exports[name] as (...a: number[]) => number)(...args);
    expect(dump(call("opa_json_dump", call("builtins")))).toEqual({ "test.upper": 0 });
  });

  it("evaluates entrypoints by name and by id, and calls host built-ins", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup)), undefined, upper);
    policy.setData({ users: { alice: { role: "admin" } } });
    expect(policy.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "admin" }]);
    expect(policy.evaluate({ user: "alice" }, 0)).toEqual([{ result: "admin" }]);
    expect(policy.evaluate({ user: "bob" }, "authz/role")).toEqual([]);
    expect(policy.evaluate({ s: "abc" }, 1)).toEqual([{ result: "ABC" }]);
    expect(() => policy.evaluate({}, "authz/nope")).toThrow();
  });

  it("aborts on an entrypoint id the module does not have", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup)), undefined, upper);
    let thrown: unknown;
    try {
      policy.evaluate({}, 7);
    } catch (e) {
      thrown = e;
    }
    expect(String(thrown)).toContain("illegal entrypoint id");
  });

  it("answers through the pre-1.2 eval(ctx) path as through opa_eval", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup)), undefined, upper);
    policy.setData({ users: { alice: { role: "admin" } } });
    (policy as unknown as { minorVersion: number }).minorVersion = 1;
    expect(policy.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "admin" }]);
    expect(policy.evaluate({ user: "bob" }, "authz/role")).toEqual([]);
    expect(policy.evaluate({ s: "x" }, "authz/upper")).toEqual([{ result: "X" }]);
  });

  it("takes 10 MB of data with setData and looks into it", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup)), undefined, upper);
    const users: Record<string, { role: string; pad: string }> = {};
    for (let i = 0; i < 100_000; i++) users[`user${i}`] = { role: `role${i % 7}`, pad: "x".repeat(64) };
    const text = JSON.stringify({ users });
    expect(text.length).toBeGreaterThan(10_000_000);
    policy.setData({ users });
    expect(policy.evaluate({ user: "user99999" }, "authz/role")).toEqual([{ result: "role4" }]);
    expect(policy.evaluate({ user: "user0" }, "authz/role")).toEqual([{ result: "role0" }]);
    expect(policy.evaluate({ user: "nobody" }, "authz/role")).toEqual([]);
  });

  it("runs 1000 evaluations on one instance with memory bounded by the heap reset", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup)), undefined, upper);
    policy.setData({ users: { alice: { role: "admin" } } });
    const mem = (policy as unknown as { mem: Memory }).mem;
    const input = { user: "alice", payload: "y".repeat(10_000) };
    for (let i = 0; i < 10; i++) policy.evaluate(input, "authz/echo");
    const after10 = mem.buffer.byteLength;
    for (let i = 0; i < 1000; i++) {
      expect(policy.evaluate({ ...input, i }, "authz/echo")).toEqual([{ result: { ...input, i } }]);
    }
    expect(mem.buffer.byteLength).toBe(after10);
    expect(policy.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "admin" }]);
  });

  it("keeps several instances of one module independent", async () => {
    const wasm = emit(buildPolicy(lookup));
    const a = await loadPolicy(wasm, undefined, upper);
    const b = await loadPolicy(wasm, undefined, upper);
    a.setData({ users: { alice: { role: "a" } } });
    b.setData({ users: { alice: { role: "b" } } });
    expect(a.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "a" }]);
    expect(b.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "b" }]);
  });

  it("gives the same answers when binaryen optimises the module", async () => {
    const policy = await loadPolicy(emit(buildPolicy(lookup), { optimize: true, validate: true }), undefined, upper);
    policy.setData({ users: { alice: { role: "admin" } } });
    expect(policy.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "admin" }]);
    expect(policy.evaluate({ s: "q" }, "authz/upper")).toEqual([{ result: "Q" }]);
  });
});

describe("emitter input checks", () => {
  const loc = { file: 0, row: 3, col: 7 };
  const bad = (stmts: unknown[], extra: Partial<PolicyLike> = {}) => {
    const p = buildPolicy({ plans: { "t/p": [[]] }, ...extra });
    p.plans[0]!.blocks = [{ stmts: stmts as never }];
    return p;
  };
  const emitError = (p: ReturnType<typeof buildPolicy>) => {
    try {
      emit(p);
    } catch (e) {
      if (isCapgateError(e)) return e;
      throw e;
    }
    throw new Error("emit accepted a bad policy");
  };

  it("rejects an unknown statement kind with its location", () => {
    const e = emitError(bad([{ kind: "Frobnicate", loc }]));
    expect(e.code).toBe("wasm_emit_error");
    expect(e.format()).toBe('policy.rego:3:7: wasm_emit_error: unknown IR statement kind "Frobnicate"');
  });

  it("rejects a string index out of range", () => {
    const e = emitError(bad([{ kind: "AssignVar", source: { kind: "string", index: 99 }, target: 2, loc }]));
    expect(e.message).toBe("string index 99 is out of range");
    expect(e.location).toEqual({ file: "policy.rego", row: 3, col: 7 });
  });

  it("rejects a Break deeper than its blocks", () => {
    expect(emitError(bad([{ kind: "Break", index: 1, loc }])).message).toBe("Break 1 leaves more blocks than enclose it");
  });

  it("rejects a call with the wrong number of arguments", () => {
    const p = buildPolicy({
      funcs: [{ name: "f", params: [0, 1], return: 2, blocks: [[{ ReturnLocal: { source: 2 } }]] }],
      plans: { "t/p": [[{ Call: { func: "f", args: [0], result: 3 }, loc: [3, 7] }]] },
    });
    expect(emitError(p).message).toBe("f takes 2 arguments, the call passes 1");
  });

  it("rejects a host built-in with more than four arguments", () => {
    const p = buildPolicy({ plans: { "t/p": [[{ Call: { func: "host.five", args: [0, 0, 0, 0, 0], result: 3 } }]] } });
    expect(emitError(p).message).toContain("at most 4");
  });

  it("rejects a plan planned twice", () => {
    const p = buildPolicy({ plans: { "t/p": [[]] } });
    p.plans.push({ name: "t/p", blocks: [] });
    expect(emitError(p).message).toBe("entrypoint t/p is planned twice");
  });

  it("rejects a ResultSetAdd inside a function and a ReturnLocal inside a plan", () => {
    const f = buildPolicy({
      funcs: [{ name: "f", params: [0, 1], return: 2, blocks: [[{ ResultSetAdd: { value: 2 } }]] }],
      plans: { "t/p": [[]] },
    });
    expect(emitError(f).message).toBe("ResultSetAdd outside a plan");
    expect(emitError(bad([{ kind: "ReturnLocal", source: 2, loc }])).message).toBe("ReturnLocal outside a function");
  });
});
