// Instantiates the real runtime.wasm (built by scripts/build-runtime.mjs) with an
// imported memory, and offers helpers to move values in and out as text. Its
// time zone lookups are answered by capgate's real host built-in.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TZ_OFFSET_BUILTIN } from "../../src/wasm-abi/index.js";
import { hostBuiltins, toJsonText } from "../../src/policy/host-builtins/index.js";

export const RUNTIME_WASM = join(
  dirname(fileURLToPath(import.meta.url)),
  "..", "..", "src", "compiler", "wasm", "runtime", "build", "runtime.wasm",
);

type Fn = (...args: never[]) => unknown;

// The project's lib settings (ES2023 + @types/node 20) do not declare the
// WebAssembly namespace, so the little of it used here is typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmGlobal {
  value: number;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
  Module: { new (bytes: Uint8Array): object; exports(m: object): { name: string; kind: string }[] };
}
export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export class RuntimeAbort extends Error {}

/** The builtins() id the harness gives the time zone host built-in (as an emitted module would). */
const TZ_OFFSET_ID = 0;

export interface Runtime {
  memory: WasmMemory;
  exports: Record<string, Fn> & { capgate_heap_base: WasmGlobal; capgate_builtin_strict: WasmGlobal; capgate_tz_offset_builtin: WasmGlobal };
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
  const memory = new WA.Memory({ initial: memoryPages });
  const cstr = (addr: number): string => {
    const u8 = new Uint8Array(memory.buffer);
    let end = addr;
    while (u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.subarray(addr, end));
  };
  const printed: string[] = [];
  const { instance } = await WA.instantiate(readFileSync(RUNTIME_WASM), {
    env: {
      memory,
      opa_abort: (addr: number) => {
        throw new RuntimeAbort(cstr(addr));
      },
      opa_println: (addr: number) => {
        printed.push(cstr(addr));
      },
      // The deadline check; the runtime calls it only once capgate_deadline_builtin is set.
      opa_builtin0: () => {
        throw new RuntimeAbort("opa_builtin0 called by the bare runtime");
      },
      // The runtime's host calls of other arities (host-call.ts), made only by emitted code.
      ...Object.fromEntries(
        [1, 2, 4].map((n) => [
          `opa_builtin${n}`,
          () => {
            throw new RuntimeAbort(`opa_builtin${n} called by the bare runtime`);
          },
        ]),
      ),
      // Time zone offsets, answered as the SDK would: JSON out, the real host built-in, JSON in.
      opa_builtin3: (id: number, _ctx: number, ...args: number[]) => {
        if (id !== TZ_OFFSET_ID) throw new RuntimeAbort(`opa_builtin3 called with id ${id}`);
        const b = hostBuiltins.get(TZ_OFFSET_BUILTIN)!;
        const result = b.impl(args.map((a) => JSON.parse(cstr(call("opa_json_dump", a))) as unknown), {});
        const { ptr, len } = bytes(toJsonText(result));
        return call("opa_json_parse", ptr, len);
      },
    },
  });
  const exports = instance.exports as Runtime["exports"];
  exports.capgate_tz_offset_builtin.value = TZ_OFFSET_ID;
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
