// Instantiates the real runtime.wasm (built by scripts/build-runtime.mjs) with an
// imported memory, and offers helpers to move values in and out as text.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const RUNTIME_WASM = join(
  dirname(fileURLToPath(import.meta.url)),
  "..", "..", "src", "compiler", "wasm", "runtime", "build", "runtime.wasm",
);

type Fn = (...args: never[]) => unknown;

export class RuntimeAbort extends Error {}

export interface Runtime {
  memory: WebAssembly.Memory;
  exports: Record<string, Fn> & { capgate_heap_base: WebAssembly.Global };
  printed: string[];
  /** Parse Rego value text (JSON plus sets) into a value pointer; throws on a syntax error. */
  value(text: string): number;
  /** Parse JSON text; returns 0 on a syntax error. */
  json(text: string): number;
  /** Rego-syntax dump, or "undefined" for 0. */
  dump(ptr: number): string;
  jsonDump(ptr: number): string;
  call(name: string, ...args: (number | bigint)[]): number;
  /** Write bytes to the heap; returns the pointer. */
  bytes(text: string): { ptr: number; len: number };
}

export async function loadRuntime(memoryPages = 2): Promise<Runtime> {
  const memory = new WebAssembly.Memory({ initial: memoryPages });
  const cstr = (addr: number): string => {
    const u8 = new Uint8Array(memory.buffer);
    let end = addr;
    while (u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.subarray(addr, end));
  };
  const printed: string[] = [];
  const { instance } = await WebAssembly.instantiate(readFileSync(RUNTIME_WASM), {
    env: {
      memory,
      opa_abort: (addr: number) => {
        throw new RuntimeAbort(cstr(addr));
      },
      opa_println: (addr: number) => {
        printed.push(cstr(addr));
      },
    },
  });
  const exports = instance.exports as Runtime["exports"];
  const call = (name: string, ...args: (number | bigint)[]): number => {
    const f = exports[name] as unknown as ((...a: (number | bigint)[]) => number) | undefined;
    if (typeof f !== "function") throw new Error(`runtime.wasm does not export ${name}`);
    return f(...args);
  };
  const bytes = (text: string) => {
    const buf = new TextEncoder().encode(text);
    const ptr = call("opa_malloc", buf.length);
    new Uint8Array(memory.buffer).set(buf, ptr);
    return { ptr, len: buf.length };
  };
  return {
    memory,
    exports,
    printed,
    call,
    bytes,
    value(text) {
      const { ptr, len } = bytes(text);
      const v = call("opa_value_parse", ptr, len);
      if (v === 0) throw new Error(`runtime could not parse value ${text}`);
      return v;
    },
    json(text) {
      const { ptr, len } = bytes(text);
      return call("opa_json_parse", ptr, len);
    },
    dump(ptr) {
      return ptr === 0 ? "undefined" : cstr(call("opa_value_dump", ptr));
    },
    jsonDump(ptr) {
      return cstr(call("opa_json_dump", ptr));
    },
  };
}
