// The runtime inside the real SDK: links a tiny "policy" into runtime.wasm with
// binaryen (what emit() does at scale) whose entrypoint returns [input, data],
// then drives it through @open-policy-agent/opa-wasm's unmodified loadPolicy on
// both ABI paths (1.2 opa_eval and the 1.1 context functions).
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { runtimeFeatures } from "../../src/wasm-abi/index.js";
import { RUNTIME_WASM } from "./runtime-harness.js";

const i32 = binaryen.i32;

function linkEchoPolicy(minorVersion: number): Uint8Array {
  const m = binaryen.readBinary(readFileSync(RUNTIME_WASM));
  m.setFeatures(runtimeFeatures(binaryen.Features));
  const internal = new Map<string, string>();
  for (let i = 0; i < m.getNumExports(); i++) {
    const info = binaryen.getExportInfo(m.getExportByIndex(i));
    internal.set(info.name, info.value);
  }
  const call = (name: string, args: number[], result: number = i32): number => {
    const target = internal.get(name);
    if (target === undefined) throw new Error(`runtime.wasm lacks ${name}`);
    return m.call(target, args, result);
  };
  // A string value built at run time: bytes stored into a fresh heap block.
  const str = (text: string): number => {
    const bytes = [...Buffer.from(text)];
    const stores: number[] = [m.local.set(15, call("opa_malloc", [m.i32.const(bytes.length)]))];
    bytes.forEach((b, k) => stores.push(m.i32.store8(k, 1, m.local.get(15, i32), m.i32.const(b))));
    stores.push(call("capgate_string", [m.local.get(15, i32), m.i32.const(bytes.length)]));
    return m.block(null, stores, i32);
  };
  const scratch = Array(16).fill(i32);

  // result set {{"result": [input, data]}} built in locals 10 (pair), 11 (object), 12 (set)
  const resultSet = (input: number, data: number): number =>
    m.block(null, [
      m.local.set(10, call("capgate_array", [m.i32.const(2)])),
      call("capgate_array_append", [m.local.get(10, i32), input], binaryen.none),
      call("capgate_array_append", [m.local.get(10, i32), data], binaryen.none),
      m.local.set(11, call("capgate_object", [])),
      call("capgate_object_insert", [m.local.get(11, i32), str("result"), m.local.get(10, i32)], binaryen.none),
      m.local.set(12, call("capgate_set", [])),
      call("capgate_set_add", [m.local.get(12, i32), m.local.get(11, i32)], binaryen.none),
      m.local.get(12, i32),
    ], i32);

  m.addFunction("builtins", binaryen.none, i32, [], call("capgate_object", []));
  m.addFunctionExport("builtins", "builtins");
  m.addFunction("entrypoints", binaryen.none, i32, scratch,
    m.block(null, [
      m.local.set(0, call("capgate_object", [])),
      call("capgate_object_insert", [m.local.get(0, i32), str("echo"), call("capgate_number_int", [m.i64.const(0n)])], binaryen.none),
      m.local.get(0, i32),
    ], i32));
  m.addFunctionExport("entrypoints", "entrypoints");
  // eval(ctx): ABI < 1.2
  m.addFunction("eval", binaryen.createType([i32]), i32, scratch.slice(1),
    m.block(null, [
      call("capgate_eval_ctx_set_result", [m.local.get(0, i32),
        resultSet(call("capgate_eval_ctx_get_input", [m.local.get(0, i32)]), call("capgate_eval_ctx_get_data", [m.local.get(0, i32)]))], binaryen.none),
      m.i32.const(0),
    ], i32));
  m.addFunctionExport("eval", "eval");
  // opa_eval(reserved, entrypoint, data, input_ptr, input_len, heap_ptr, format): ABI 1.2
  m.addFunction("opa_eval", binaryen.createType(Array(7).fill(i32)), i32, scratch.slice(7),
    m.block(null, [
      m.local.set(7, call("capgate_eval_prepare", [m.local.get(5, i32), m.local.get(3, i32), m.local.get(4, i32)])),
      call("opa_json_dump", [resultSet(m.local.get(7, i32), m.local.get(2, i32))]),
    ], i32));
  m.addFunctionExport("opa_eval", "opa_eval");
  m.addGlobal("abi_major", i32, false, m.i32.const(1));
  m.addGlobal("abi_minor", i32, false, m.i32.const(minorVersion));
  m.addGlobalExport("abi_major", "opa_wasm_abi_version");
  m.addGlobalExport("abi_minor", "opa_wasm_abi_minor_version");
  if (!m.validate()) throw new Error("linked module does not validate");
  return m.emitBinary();
}

describe.each([2, 1])("SDK loadPolicy on ABI 1.%i", (minor) => {
  it("evaluates, keeps data across evaluations and resets the heap", async () => {
    const policy = await loadPolicy(linkEchoPolicy(minor));
    expect(policy.entrypoints).toEqual({ echo: 0 });
    policy.setData({ tenants: { t1: { max_ttl: 3600 } } });
    const first = policy.evaluate({ user: "u1", n: 1.5 }, "echo");
    expect(first).toEqual([{ result: [{ user: "u1", n: 1.5 }, { tenants: { t1: { max_ttl: 3600 } } }] }]);
    const mem = () => (policy as unknown as { mem: { buffer: ArrayBuffer } }).mem.buffer.byteLength;
    const size = mem();
    for (let i = 0; i < 300; i++) policy.evaluate({ i, pad: "x".repeat(2000) }, "echo");
    expect(mem()).toBe(size);
    expect(policy.evaluate(undefined, "echo")).toEqual([{ result: [null, { tenants: { t1: { max_ttl: 3600 } } }] }]);
  });

  it("takes large data through setData", async () => {
    const policy = await loadPolicy(linkEchoPolicy(minor));
    const users = Object.fromEntries(Array.from({ length: 30000 }, (_, i) => [`u${i}`, { mfa: i % 2 === 0 }]));
    policy.setData({ users });
    const [row] = policy.evaluate({}, "echo") as [{ result: [unknown, { users: Record<string, unknown> }] }];
    expect(Object.keys(row.result[1].users)).toHaveLength(30000);
    expect(row.result[1].users["u29999"]).toEqual({ mfa: false });
  });
});
