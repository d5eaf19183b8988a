// Properties of runtime.wasm that YAML cases cannot express: the export
// contract published to the emitter (src/wasm-abi: runtime-abi.ts, builtins-table.ts), the heap model
// the SDK relies on (reset, growth, heap base), and float text round trips.
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { beforeEach, describe, expect, it } from "vitest";
import { RUNTIME_BUILTINS, RUNTIME_FUNCTIONS, RUNTIME_GLOBALS, type WasmType } from "../../src/wasm-abi/index.js";
import { loadRuntime, RUNTIME_WASM, RuntimeAbort, type Runtime } from "./runtime-harness.js";

const typeName = (t: number): WasmType | "?" =>
  t === binaryen.i32 ? "i32" : t === binaryen.i64 ? "i64" : t === binaryen.f64 ? "f64" : "?";

describe("export contract", () => {
  const mod = binaryen.readBinary(readFileSync(RUNTIME_WASM));
  const exported = new Map<string, { kind: number; value: string }>();
  for (let i = 0; i < mod.getNumExports(); i++) {
    const info = binaryen.getExportInfo(mod.getExportByIndex(i));
    exported.set(info.name, { kind: info.kind, value: info.value });
  }
  const signature = (name: string): { params: string[]; result: string | null } => {
    const e = exported.get(name);
    if (!e || e.kind !== binaryen.ExternalFunction) throw new Error(`runtime.wasm does not export function ${name}`);
    const f = binaryen.getFunctionInfo(mod.getFunction(e.value));
    return {
      params: binaryen.expandType(f.params).map(typeName),
      result: f.results === binaryen.none ? null : typeName(f.results),
    };
  };

  it("exports every function of runtime-abi.ts with its documented signature", () => {
    for (const [name, fn] of Object.entries(RUNTIME_FUNCTIONS)) {
      expect(signature(name), name).toEqual({ params: [...fn.params], result: fn.result });
    }
  });

  it("exports every in-Wasm built-in of builtins-table.ts with arity i32 arguments", () => {
    for (const [name, bi] of RUNTIME_BUILTINS) {
      expect(signature(bi.export), name).toEqual({ params: Array(bi.arity).fill("i32"), result: "i32" });
    }
  });

  it("exports the mutable globals the emitter rewrites, and has no start function", () => {
    for (const g of RUNTIME_GLOBALS) {
      const e = exported.get(g);
      expect(e?.kind, g).toBe(binaryen.ExternalGlobal);
      expect(binaryen.getGlobalInfo(mod.getGlobal(e?.value ?? "")).mutable, g).toBe(true);
    }
    expect(mod.getStart()).toBe(0);
  });

  it("stays small", () => {
    expect(readFileSync(RUNTIME_WASM).length).toBeLessThan(300 * 1024);
  });
});

describe("heap", () => {
  let rt: Runtime;
  beforeEach(async () => {
    rt = await loadRuntime(1);
  });

  it("starts above the runtime's static data and allocates 8-aligned blocks", () => {
    const a = rt.call("opa_malloc", 3);
    const b = rt.call("opa_malloc", 5);
    expect(a % 8).toBe(0);
    expect(b % 8).toBe(0);
    expect(b).toBeGreaterThan(a);
  });

  it("realigns after an unaligned opa_heap_ptr_set (the SDK passes base + input length)", () => {
    const base = rt.call("opa_heap_ptr_get");
    rt.call("opa_heap_ptr_set", base + 3);
    expect(rt.call("opa_malloc", 4) % 8).toBe(0);
  });

  it("reuses memory after opa_heap_ptr_set, as the SDK does between evaluations", () => {
    const base = rt.call("opa_heap_ptr_get");
    const v1 = rt.json('{"a":[1,2,3]}');
    rt.call("opa_heap_ptr_set", base);
    const v2 = rt.json('{"b":true}');
    expect(v2).toBe(v1);
    expect(rt.jsonDump(v2)).toBe('{"b":true}');
  });

  it("opa_free releases the most recent block only", () => {
    const a = rt.call("opa_malloc", 16);
    const b = rt.call("opa_malloc", 16);
    rt.call("opa_free", a);
    expect(rt.call("opa_malloc", 16)).toBeGreaterThan(b);
    const c = rt.call("opa_malloc", 16);
    rt.call("opa_free", c);
    expect(rt.call("opa_malloc", 16)).toBe(c);
  });

  it("grows the imported memory for large documents", () => {
    const before = rt.memory.buffer.byteLength;
    const big = JSON.stringify({ items: Array.from({ length: 20000 }, (_, i) => ({ id: `item-${i}`, n: i })) });
    const v = rt.json(big);
    expect(v).not.toBe(0);
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(JSON.parse(rt.jsonDump(v))).toEqual(JSON.parse(big));
  });

  it("honours capgate_heap_base when the emitter sets it", async () => {
    const fresh = await loadRuntime(2);
    fresh.exports.capgate_heap_base.value = 70000;
    expect(fresh.call("opa_heap_ptr_get")).toBe(70000);
    expect(fresh.call("opa_malloc", 4)).toBeGreaterThanOrEqual(70000);
  });
});

describe("numbers", () => {
  it("float64 values parse exactly and print as the shortest closest text (JavaScript's own)", async () => {
    const rt = await loadRuntime(4);
    const zero = rt.value("0");
    const base = rt.call("opa_heap_ptr_get");
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 2000; i++) {
      rt.call("opa_heap_ptr_set", base);
      const x = (rand() - 0.5) * Math.pow(10, Math.floor(rand() * 60 - 30));
      const text = String(x);
      const { ptr, len } = rt.bytes(text);
      const sum = rt.call("capgate_bi_plus", rt.call("capgate_number_ref", ptr, len), zero);
      const printed = rt.jsonDump(sum);
      // Big integral values print all their exact digits (as Go prints big
      // integers), where JavaScript pads with zeros: compare those by value.
      if (Number.isInteger(x) && Math.abs(x) >= 2 ** 53) expect(Number(printed), text).toBe(x);
      else expect(printed, text).toBe(text);
    }
  });
});

describe("print and abort", () => {
  it("capgate_println_value prints strings bare and other values in Rego syntax", async () => {
    const rt = await loadRuntime();
    rt.call("capgate_println_value", rt.value('"hello"'));
    rt.call("capgate_println_value", rt.value('{"b", 1}'));
    rt.call("capgate_println_value", 0);
    expect(rt.printed).toEqual(["hello", '{1, "b"}', "<undefined>"]);
  });

  it("capgate_print formats like OPA's print(): location, bare strings, spaced Rego syntax", async () => {
    const rt = await loadRuntime();
    const file = rt.bytes("rego_0");
    const print = (row: number, ...args: number[]) => {
      const arr = rt.call("capgate_array", args.length);
      for (const a of args) rt.call("capgate_array_append", arr, a);
      rt.call("capgate_print", file.ptr, file.len, row, arr);
    };
    print(18, rt.value('"Hello"'), rt.value('["Hello"]'), rt.value("[{1: 2}, {1, 2}]"));
    print(6, rt.value('{"hello": "world", "b": {}}'));
    print(6, rt.value("set()"));
    print(10, 0);
    print(6, rt.value("-0"), rt.value("1.1"), rt.value('"hello\\nworld"'));
    expect(rt.printed).toEqual([
      'rego_0:18: Hello ["Hello"] [{1: 2}, {1, 2}]',
      'rego_0:6: {"b": {}, "hello": "world"}',
      "rego_0:6: {}",
      "rego_0:10: <undefined>",
      "rego_0:6: 0 1.1 hello\nworld",
    ]);
  });

  it("capgate_print_sets prints each argument's values, <undefined> for an empty set", async () => {
    const rt = await loadRuntime();
    const file = rt.bytes("p.rego");
    rt.call("capgate_print_sets", file.ptr, file.len, 4, rt.value('[{"x"}, set(), {[1, "a"]}]'));
    rt.call("capgate_bi_internal_print", rt.value('[{"done"}]'));
    expect(rt.printed).toEqual(['p.rego:4: x <undefined> [1, "a"]', "done"]);
  });

  it("capgate_eval_prepare rejects malformed input through opa_abort", async () => {
    const rt = await loadRuntime();
    const { ptr, len } = rt.bytes("{oops");
    expect(() => rt.call("capgate_eval_prepare", rt.call("opa_heap_ptr_get"), ptr, len)).toThrow(RuntimeAbort);
  });
});

describe("built-in families", () => {
  it("every family in builtins-table.ts has its source file", () => {
    for (const [name, bi] of RUNTIME_BUILTINS) {
      const file = new URL(`../../src/compiler/wasm/runtime/assembly/builtins/${bi.family}.ts`, import.meta.url);
      expect(() => readFileSync(file), name).not.toThrow();
    }
  });
});

describe("small accessors", () => {
  it("type tags, truth, array access, set membership, copies and set difference", async () => {
    const rt = await loadRuntime();
    expect(rt.call("capgate_value_type", 0)).toBe(0);
    expect(rt.call("capgate_value_type", rt.value("set()"))).toBe(7);
    expect(rt.call("capgate_value_type", rt.value("null"))).toBe(1);
    expect(rt.call("capgate_is_true", rt.value("true"))).toBe(1);
    expect(rt.call("capgate_is_true", rt.value("1"))).toBe(0);
    const arr = rt.value('["a","b"]');
    expect(rt.dump(rt.call("capgate_array_get", arr, 1))).toBe('"b"');
    expect(rt.call("capgate_array_get", arr, 2)).toBe(0);
    expect(rt.call("capgate_array_get", arr, -1)).toBe(0);
    const set = rt.value("{1, 2}");
    expect(rt.call("capgate_set_contains", set, rt.value("2.0"))).toBe(1);
    expect(rt.call("capgate_set_contains", set, rt.value("3"))).toBe(0);
    const obj = rt.value('{"a": 1}');
    const copy = rt.call("capgate_value_shallow_copy", obj);
    rt.call("capgate_object_insert", copy, rt.value('"b"'), rt.value("2"));
    expect(rt.dump(obj)).toBe('{"a":1}');
    expect(rt.dump(copy)).toBe('{"a":1,"b":2}');
    expect(rt.dump(rt.call("capgate_set_diff", rt.value("{1, 2, 3}"), rt.value("{2}")))).toBe("{1,3}");
    expect(rt.dump(rt.call("capgate_null"))).toBe("null");
    expect(rt.dump(rt.call("capgate_boolean", 5))).toBe("true");
    expect(rt.dump(rt.call("capgate_number_int", -7n))).toBe("-7");
    expect(rt.dump(rt.call("capgate_number_float", 2.5))).toBe("2.5");
    const s = rt.bytes("héllo");
    expect(rt.dump(rt.call("capgate_string", s.ptr, s.len))).toBe('"héllo"');
  });

  it("the eval context round-trips its fields", async () => {
    const rt = await loadRuntime();
    const ctx = rt.call("opa_eval_ctx_new");
    rt.call("opa_eval_ctx_set_input", ctx, 11);
    rt.call("opa_eval_ctx_set_data", ctx, 22);
    rt.call("opa_eval_ctx_set_entrypoint", ctx, 3);
    rt.call("capgate_eval_ctx_set_result", ctx, 44);
    expect([
      rt.call("capgate_eval_ctx_get_input", ctx),
      rt.call("capgate_eval_ctx_get_data", ctx),
      rt.call("capgate_eval_ctx_get_entrypoint", ctx),
      rt.call("opa_eval_ctx_get_result", ctx),
    ]).toEqual([11, 22, 3, 44]);
  });
});
