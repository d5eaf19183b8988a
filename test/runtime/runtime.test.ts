// Properties of runtime.wasm that YAML cases cannot express: the export
// contract published to the emitter (abi.ts, builtins-table.ts), the heap model
// the SDK relies on (reset, growth, heap base), and float text round trips.
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { beforeEach, describe, expect, it } from "vitest";
import { RUNTIME_FUNCTIONS, RUNTIME_GLOBALS, type WasmType } from "../../src/compiler/wasm/runtime/abi.js";
import { RUNTIME_BUILTINS } from "../../src/compiler/wasm/runtime/builtins-table.js";
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

  it("exports every function of abi.ts with its documented signature", () => {
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
  it("float64 results print as text that parses back to the same value", async () => {
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
      expect(Number(rt.jsonDump(sum)), text).toBe(x);
    }
  });
});

describe("print and abort", () => {
  it("capgate_println_value prints strings bare and other values in Rego syntax", async () => {
    const rt = await loadRuntime();
    rt.call("capgate_println_value", rt.value('"hello"'));
    rt.call("capgate_println_value", rt.value('{"b", 1}'));
    expect(rt.printed).toEqual(["hello", '{1,"b"}']);
  });

  it("capgate_eval_prepare rejects malformed input through opa_abort", async () => {
    const rt = await loadRuntime();
    const { ptr, len } = rt.bytes("{oops");
    expect(() => rt.call("capgate_eval_prepare", rt.call("opa_heap_ptr_get"), ptr, len)).toThrow(RuntimeAbort);
  });
});
