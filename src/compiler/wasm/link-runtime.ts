// The binaryen linker: reads the AssemblyScript runtime (runtime/build/runtime.wasm)
// into a binaryen module and gives the emitter what it links against: runtime
// functions by their export name, the imports the SDK provides, and the
// data-segment/heap-base surgery that puts the emitter's static data after the
// runtime's and moves the heap past it. Loaded only on demand (binaryenLinker() in
// index.ts): for the optimiser, binaryen's validator and the differential tests;
// link-direct.ts links by default.
import binaryen from "binaryen";
import { CapgateError } from "../../errors.js";
import { HEAP_BASE_GLOBAL, runtimeFeatures, type RuntimeBuiltinExport, type RuntimeFunctionName, type RuntimeGlobalName } from "../../wasm-abi/index.js";
import { I32, I64, NONE, PAGE, START_FUNCTION, STATIC_SEGMENT, align, invalidModule, type ExprBuilder, type ModuleBuilder, type RuntimeLink, type ValType } from "./link-api.js";

/** The features runtime.wasm uses (the runtime's contract); the emitter adds none. */
export const FEATURES = runtimeFeatures(binaryen.Features);

// link-api.ts names binaryen's basic type ids so the emitter need not load binaryen.
if (binaryen.none !== NONE || binaryen.i32 !== I32 || binaryen.i64 !== I64) {
  throw new CapgateError("wasm_emit_error", "binaryen's type ids changed; update src/compiler/wasm/link-api.ts");
}

/** binaryen's module as the emitter's builder: its own expression API, types as arrays. */
function moduleBuilder(m: binaryen.Module): ModuleBuilder {
  const expressions: ExprBuilder = m;
  const own: Pick<ModuleBuilder, "addFunction" | "addGlobal" | "addFunctionExport" | "addGlobalExport"> = {
    addFunction: (name, params, result, vars, body) => void m.addFunction(name, binaryen.createType([...params]), result, [...vars], body),
    addGlobal: (name, mutable, init) => void m.addGlobal(name, binaryen.i32, mutable, m.i32.const(init)),
    addFunctionExport: (internal, external) => void m.addFunctionExport(internal, external),
    addGlobalExport: (internal, external) => void m.addGlobalExport(internal, external),
  };
  return Object.assign(Object.create(expressions) as ExprBuilder, own);
}

/** Data-segment readers binaryen.js has but its type declarations lack. */
interface DataSegmentApi {
  getNumDataSegments(): number;
  getDataSegmentInfo(ref: number): { name: string; offset: number | null; data: ArrayBuffer; passive: boolean };
}

interface Segment {
  name: string;
  offset: number;
  data: Uint8Array;
}

/** The runtime module being linked, with lookups by export name. */
export class LinkedRuntime implements RuntimeLink {
  private readonly m: binaryen.Module;
  readonly module: ModuleBuilder;
  /** Export name → internal function name, captured before exports are pruned. */
  private readonly funcExports = new Map<string, string>();
  private readonly globalExports = new Map<string, string>();
  private readonly imports = new Map<string, string>();
  private readonly segments: Segment[] = [];
  readonly memoryName: string;
  private readonly memoryInitial: number;

  constructor(bytes: Uint8Array) {
    this.m = binaryen.readBinary(bytes);
    this.m.setFeatures(FEATURES);
    this.module = moduleBuilder(this.m);
    for (let i = 0; i < this.m.getNumExports(); i++) {
      const e = binaryen.getExportInfo(this.m.getExportByIndex(i));
      if (e.kind === binaryen.ExternalFunction) this.funcExports.set(e.name, e.value);
      else if (e.kind === binaryen.ExternalGlobal) this.globalExports.set(e.name, e.value);
    }
    for (let i = 0; i < this.m.getNumFunctions(); i++) {
      const f = binaryen.getFunctionInfo(this.m.getFunctionByIndex(i));
      if (f.module) this.imports.set(`${f.module}.${f.base}`, f.name);
    }
    const withSegments = this.m as unknown as DataSegmentApi;
    for (let i = 0; i < withSegments.getNumDataSegments(); i++) {
      const info = withSegments.getDataSegmentInfo(this.m.getDataSegmentByIndex(i));
      if (info.passive || info.offset === null) {
        throw new CapgateError("wasm_emit_error", `runtime.wasm: passive data segment ${info.name} is not supported`);
      }
      this.segments.push({ name: info.name, offset: info.offset, data: new Uint8Array(info.data) });
    }
    if (!this.m.hasMemory()) throw new CapgateError("wasm_emit_error", "runtime.wasm has no memory");
    this.memoryName = memoryNameOf(this.m);
    const mem = this.m.getMemoryInfo(this.memoryName);
    if (mem.module !== "env" || mem.base !== "memory") {
      throw new CapgateError("wasm_emit_error", "runtime.wasm must import its memory as env.memory (asc --importMemory)");
    }
    this.memoryInitial = mem.initial;
  }

  /** The internal name of the runtime function exported as `name`. */
  func(name: RuntimeFunctionName | RuntimeBuiltinExport): string {
    const f = this.funcExports.get(name);
    if (f === undefined) {
      throw new CapgateError("wasm_emit_error", `runtime.wasm does not export ${name}; rebuild the runtime`);
    }
    return f;
  }

  hasFunc(name: string): boolean {
    return this.funcExports.has(name);
  }

  /** The internal name of an imported function, adding the import when the runtime lacks it. */
  importFunc(module: string, base: string, params: readonly ValType[], result: ValType): string {
    const key = `${module}.${base}`;
    const seen = this.imports.get(key);
    if (seen !== undefined) return seen;
    const name = `capgate:import:${key}`;
    this.m.addFunctionImport(name, module, base, binaryen.createType([...params]), result);
    this.imports.set(key, name);
    return name;
  }

  /** Where the emitter's static data may start: after the runtime's data and heap base. */
  staticBase(): number {
    let end = this.heapBase();
    for (const s of this.segments) end = Math.max(end, s.offset + s.data.length);
    return align(end, 16);
  }

  /**
   * Adds the emitter's data at `base` and moves the runtime's heap start past it.
   * The data is a passive segment that a start function copies in after growing
   * memory as needed, so the module keeps the runtime's small memory minimum and
   * loads into the SDK's default 5-page memory however much static data it has.
   */
  placeStatic(base: number, data: Uint8Array): void {
    const heapStart = align(base + data.length, 16);
    const m = this.m;
    const segs = this.segments.map(
      (s): binaryen.MemorySegment => ({ name: s.name, data: s.data, offset: m.i32.const(s.offset), passive: false }) as binaryen.MemorySegment,
    );
    if (data.length > 0) segs.push({ name: STATIC_SEGMENT, data, passive: true, offset: 0 } as binaryen.MemorySegment);
    m.setMemory(this.memoryInitial, -1, null, segs, false, false, this.memoryName);
    m.addMemoryImport(this.memoryName, "env", "memory");
    this.setGlobalInit(HEAP_BASE_GLOBAL, heapStart);
    if (data.length === 0) return;

    const pages = Math.ceil(heapStart / PAGE);
    const previous = m.getStart();
    const body: binaryen.ExpressionRef[] = [
      m.if(
        m.i32.lt_u(m.memory.size(this.memoryName), m.i32.const(pages)),
        m.if(
          m.i32.eq(m.memory.grow(m.i32.sub(m.i32.const(pages), m.memory.size(this.memoryName)), this.memoryName), m.i32.const(-1)),
          m.unreachable(),
        ),
      ),
      m.memory.init(STATIC_SEGMENT, m.i32.const(base), m.i32.const(0), m.i32.const(data.length), this.memoryName),
      m.data.drop(STATIC_SEGMENT),
    ];
    if (previous) body.push(m.call(binaryen.getFunctionInfo(previous).name, [], binaryen.none));
    const start = m.addFunction(START_FUNCTION, binaryen.none, binaryen.none, [], m.block(null, body));
    m.setStart(start);
  }

  /** Rewrites the initial value of an exported i32 global of the runtime. */
  setGlobalInit(exportName: RuntimeGlobalName, value: number): void {
    const g = this.globalExports.get(exportName);
    if (g === undefined) {
      throw new CapgateError("wasm_emit_error", `runtime.wasm does not export the global ${exportName}`);
    }
    const m = this.m;
    const info = binaryen.getGlobalInfo(m.getGlobal(g));
    m.removeGlobal(g);
    m.addGlobal(g, info.type, info.mutable, m.i32.const(value));
  }

  exportMemory(name: string): void {
    this.m.addMemoryExport(this.memoryName, name);
  }

  finish(opts: { optimize: boolean; validate: boolean }): Uint8Array {
    if (opts.optimize) this.m.optimize();
    else this.m.runPasses(["remove-unused-module-elements"]);
    if (opts.validate && !this.m.validate()) throw invalidModule();
    return this.m.emitBinary();
  }

  dispose(): void {
    this.m.dispose();
  }

  pruneExports(keep: ReadonlySet<string>): void {
    const names: string[] = [];
    for (let i = 0; i < this.m.getNumExports(); i++) {
      names.push(binaryen.getExportInfo(this.m.getExportByIndex(i)).name);
    }
    for (const n of names) if (!keep.has(n)) this.m.removeExport(n);
  }

  private heapBase(): number {
    const g = this.globalExports.get(HEAP_BASE_GLOBAL);
    if (g === undefined) return 0;
    const init = binaryen.getGlobalInfo(this.m.getGlobal(g)).init;
    const value = (binaryen.getExpressionInfo(init) as { value?: unknown }).value;
    return typeof value === "number" ? value : 0;
  }
}

function memoryNameOf(m: binaryen.Module): string {
  // binaryen names an unnamed imported memory "mimport$0" and a defined one "0".
  for (const candidate of ["mimport$0", "0", "memory"]) {
    try {
      m.getMemoryInfo(candidate);
      return candidate;
    } catch {
      // not this name; binaryen throws for an unknown memory
    }
  }
  throw new CapgateError("wasm_emit_error", "runtime.wasm: cannot find its memory");
}
