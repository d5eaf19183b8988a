// The emitted module's ABI surface and lifecycle through the real SDK: exports and
// imports, entrypoints by name and id, the pre-1.2 eval(ctx) path, builtins(),
// large data, and many evaluations on one instance with bounded memory.
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { describe, expect, it } from "vitest";
import { isCapgateError } from "../../src/errors.js";
import { binaryenLinker, emit } from "../../src/compiler/wasm/index.js";
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
        // capgate's: the operands of the host built-in call in progress, read back exactly by capgate's host
        "function:capgate_host_operand",
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
        // capgate's additions: OPA's strict built-in errors (read by host built-ins, set from
        // a bundle's manifest), where a host that provides the deadline check turns it on,
        // and where a host writes each evaluation's time.now_ns
        "global:capgate_builtin_strict",
        "global:capgate_deadline_builtin",
        "global:capgate_now_ns",
        "global:capgate_now_ns_known",
        "global:opa_wasm_abi_minor_version",
        "global:opa_wasm_abi_version",
        "memory:memory",
      ].sort(),
    );
    const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
    // the SDK's imports (the direct linker keeps the runtime's own, used or not)
    const sdk = ["env.memory", "env.opa_abort", "env.opa_println", ...[0, 1, 2, 3, 4].map((n) => `env.opa_builtin${n}`)];
    for (const i of imports) expect(sdk).toContain(i);
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
    // The deadline check comes last, after the policy's own host built-ins.
    expect(dump(call("opa_json_dump", call("builtins")))).toEqual({ "test.upper": 0, "$capgate.deadline": 1 });
  });

  it("dumps the result set in Rego syntax when opa_eval is asked for format 1 (sets stay sets)", async () => {
    const sets = buildPolicy({ plans: { "t/s": [[{ MakeSet: { target: 2 } }, { SetAdd: { value: "b", set: 2 } }, { SetAdd: { value: "a", set: 2 } }, { Result: 2 }]] } });
    const policy = await loadPolicy(emit(sets));
    expect(policy.evaluate({}, "t/s")).toEqual([{ result: ["a", "b"] }]);
    const inst = (policy as unknown as { wasmInstance: Instance; mem: Memory; dataAddr: number });
    const call = (name: string, ...args: number[]) => (inst.wasmInstance.exports[name] as (...a: number[]) => number)(...args);
    const text = (addr: number) => {
      const buf = new Uint8Array(inst.mem.buffer);
      let end = addr;
      while (buf[end] !== 0) end++;
      return new TextDecoder().decode(buf.subarray(addr, end));
    };
    const heap = call("opa_heap_ptr_get");
    expect(text(call("opa_eval", 0, 0, inst.dataAddr, 0, 0, heap, 1))).toMatch(/^\{\{"result": ?\{"a", ?"b"\}\}\}$/);
    expect(JSON.parse(text(call("opa_eval", 0, 0, inst.dataAddr, 0, 0, heap, 0)))).toEqual([{ result: ["a", "b"] }]);
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

  it("loads 1 MB of static strings into the SDK's default 5-page memory", async () => {
    const big = "s".repeat(1_000_000);
    const wasm = emit(buildPolicy({ plans: { "t/big": [[{ AssignVar: { source: big, target: 2 } }, { Result: 2 }]] } }), { validate: true });
    const mod = await WebAssembly.compile(wasm);
    const memory = WebAssembly.Module.imports(mod).find((i) => i.name === "memory");
    expect(memory?.kind).toBe("memory");
    const policy = await loadPolicy(wasm);
    const rs = policy.evaluate({}, "t/big") as { result: string }[];
    expect(rs[0]!.result.length).toBe(1_000_000);
    expect(rs[0]!.result).toBe(big);
  });

  it("evaluates normally again after an evaluation aborted", async () => {
    // t/p conflicts when input.x is defined, else answers "ok"
    const p = buildPolicy({
      files: ["c.rego"],
      plans: {
        "t/p": [
          [{ Dot: { source: 0, key: "x", target: 2 } }, { AssignVarOnce: { source: "a", target: 3 } }, { AssignVarOnce: { source: "b", target: 3 }, loc: [5, 2] }],
          [{ AssignVar: { source: "ok", target: 4 } }, { Result: 4 }],
        ],
      },
    });
    const policy = await loadPolicy(emit(p));
    expect(() => policy.evaluate({ x: 1 }, "t/p")).toThrow(/c\.rego:5:2: eval_conflict_error: var assignment conflict/);
    expect(policy.evaluate({}, "t/p")).toEqual([{ result: "ok" }]);
    expect(() => policy.evaluate({ x: 1 }, "t/p")).toThrow(/c\.rego:5:2/);
    expect(policy.evaluate({ y: 1 }, "t/p")).toEqual([{ result: "ok" }]);
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
    const linker = await binaryenLinker();
    const policy = await loadPolicy(emit(buildPolicy(lookup), { linker, optimize: true, validate: true }), undefined, upper);
    policy.setData({ users: { alice: { role: "admin" } } });
    expect(policy.evaluate({ user: "alice" }, "authz/role")).toEqual([{ result: "admin" }]);
    expect(policy.evaluate({ s: "q" }, "authz/upper")).toEqual([{ result: "Q" }]);
  });
});

describe("rule memoization", () => {
  // g0.data.t.r = tick(input.x): a rule calling a host built-in that counts its calls
  const memo: PolicyLike = {
    host_builtins: [{ name: "test.tick", arity: 1 }],
    funcs: [
      {
        name: "g0.data.t.r",
        params: [0, 1],
        return: 2,
        blocks: [
          [{ Dot: { source: 0, key: "x", target: 3 } }, { Call: { func: "test.tick", args: [3], result: 4 } }, { AssignVarOnce: { source: 4, target: 2 } }],
          [{ ReturnLocal: { source: 2 } }],
        ],
      },
    ],
    plans: {
      // [r, r, r with input.x as "w", r]
      "t/p": [
        [
          { Call: { func: "g0.data.t.r", args: [0, 1], result: 2 } },
          { Call: { func: "g0.data.t.r", args: [0, 1], result: 3 } },
          { With: { local: 0, path: ["x"], value: "w", block: [{ Call: { func: "g0.data.t.r", args: [0, 1], result: 4 } }] } },
          { Call: { func: "g0.data.t.r", args: [0, 1], result: 5 } },
          { MakeArray: { capacity: 4, target: 6 } },
          { ArrayAppend: { value: 2, array: 6 } },
          { ArrayAppend: { value: 3, array: 6 } },
          { ArrayAppend: { value: 4, array: 6 } },
          { ArrayAppend: { value: 5, array: 6 } },
          { Result: 6 },
        ],
      ],
    },
  };

  it("evaluates a rule once per evaluation and input, again under With", async () => {
    const calls: string[] = [];
    const tick = { "test.tick": (x: string) => (calls.push(x), `${x}!`) };
    const policy = await loadPolicy(emit(buildPolicy(memo), { validate: true }), undefined, tick);
    expect(policy.evaluate({ x: "a" }, "t/p")).toEqual([{ result: ["a!", "a!", "w!", "a!"] }]);
    // once for the input, once under With, once after the With (the epoch moved on)
    expect(calls).toEqual(["a", "w", "a"]);
    calls.length = 0;
    // a new evaluation with a new input at the same heap address recomputes
    expect(policy.evaluate({ x: "b" }, "t/p")).toEqual([{ result: ["b!", "b!", "w!", "b!"] }]);
    expect(calls).toEqual(["b", "w", "b"]);
  });

  it("calls the rule every time with memoization off", async () => {
    const calls: string[] = [];
    const tick = { "test.tick": (x: string) => (calls.push(x), `${x}!`) };
    const policy = await loadPolicy(emit(buildPolicy(memo), { memoize: false }), undefined, tick);
    expect(policy.evaluate({ x: "a" }, "t/p")).toEqual([{ result: ["a!", "a!", "w!", "a!"] }]);
    expect(calls).toEqual(["a", "a", "w", "a"]);
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

  it("rejects an unknown operand and a malformed local", () => {
    expect(emitError(bad([{ kind: "AssignVar", source: { kind: "float", value: 1 }, target: 2, loc }])).message).toBe(
      'unknown operand {"kind":"float","value":1}',
    );
    expect(emitError(bad([{ kind: "MakeNull", target: -1, loc }])).message).toBe("local -1 is not a non-negative integer");
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

  it("rejects a runtime module that does not fit the contract", async () => {
    const { default: binaryen } = await import("binaryen");
    const make = (importMemory: boolean) => {
      const m = new binaryen.Module();
      m.setMemory(1, -1, null, [], false, false, "mem");
      if (importMemory) m.addMemoryImport("mem", "env", "memory");
      const bytes = m.emitBinary();
      m.dispose();
      return bytes;
    };
    const p = buildPolicy({ plans: { "t/p": [[{ MakeNull: { target: 2 } }, { Result: 2 }]] } });
    const err = (runtime: Uint8Array) => {
      try {
        emit(p, { runtime });
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const own = err(make(false));
    expect(isCapgateError(own) && own.message).toBe("runtime.wasm must import its memory as env.memory (asc --importMemory)");
    const bare = err(make(true));
    expect(isCapgateError(bare) && bare.message).toMatch(/^runtime\.wasm does not export capgate_\w+; rebuild the runtime$/);
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
