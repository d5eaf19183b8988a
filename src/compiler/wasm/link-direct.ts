// The default linker: reads runtime.wasm's sections, keeps the runtime's code as it
// is, and appends the emitter's types, imports, functions, globals, exports and
// static data, writing the module without binaryen (which costs a cold
// `policy eval` most of a second to load and run). The module is the whole runtime
// plus the policy: nothing is pruned but exports.
import { CapgateError } from "../../errors.js";
import { HEAP_BASE_GLOBAL, type RuntimeBuiltinExport, type RuntimeFunctionName, type RuntimeGlobalName } from "../../wasm-abi/index.js";
import { DirectModule, valType, type IndexSpace } from "./direct-expr.js";
import { I32, NONE, PAGE, START_FUNCTION, align, invalidModule, type RuntimeLink, type ValType } from "./link-api.js";
import { ByteReader, ByteWriter, copyInstructions, malformed } from "./wasm-bytes.js";

const SECTION = { type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12 };
const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const KIND = { func: 0, table: 1, memory: 2, global: 3 };

interface Import {
  module: string;
  base: string;
  kind: number;
  /** The entry's bytes after the names (its kind and description). */
  desc: Uint8Array;
}

interface Global {
  type: number;
  mutable: boolean;
  /** The constant expression, `end` included. */
  init: Uint8Array;
}

/** runtime.wasm, split into what the linker rewrites and what it copies. */
class RuntimeSections {
  types: { count: number; bytes: Uint8Array } = { count: 0, bytes: new Uint8Array(0) };
  imports: Import[] = [];
  funcTypes: { count: number; bytes: Uint8Array } = { count: 0, bytes: new Uint8Array(0) };
  table: Uint8Array | undefined;
  globals: Global[] = [];
  exports: Array<{ name: string; kind: number; index: number }> = [];
  start: number | undefined;
  elements: Uint8Array | undefined;
  bodies: Uint8Array[] = [];
  data: { count: number; bytes: Uint8Array; segments: Array<{ offset: number; length: number }> } = { count: 0, bytes: new Uint8Array(0), segments: [] };
  hasMemorySection = false;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw malformed("not a Wasm module (version 1)");
    const r = new ByteReader(bytes, 8);
    while (!r.eof()) {
      const id = r.byte();
      const size = r.u32();
      this.section(id, new ByteReader(bytes, r.at, r.at + size));
      r.skip(size);
    }
  }

  private section(id: number, r: ByteReader): void {
    switch (id) {
      case SECTION.type:
        this.types = { count: r.u32(), bytes: r.take(r.end - r.at) };
        return;
      case SECTION.import:
        for (let n = r.u32(); n > 0; n--) this.imports.push(readImport(r));
        return;
      case SECTION.function:
        this.funcTypes = { count: r.u32(), bytes: r.take(r.end - r.at) };
        return;
      case SECTION.table:
        this.table = r.take(r.end - r.at);
        return;
      case SECTION.memory:
        this.hasMemorySection = r.u32() > 0;
        return;
      case SECTION.global:
        for (let n = r.u32(); n > 0; n--) this.globals.push(readGlobal(r));
        return;
      case SECTION.export:
        for (let n = r.u32(); n > 0; n--) this.exports.push({ name: r.name(), kind: r.byte(), index: r.u32() });
        return;
      case SECTION.start:
        this.start = r.u32();
        return;
      case SECTION.element:
        this.elements = r.take(r.end - r.at);
        return;
      case SECTION.code:
        for (let n = r.u32(); n > 0; n--) this.bodies.push(r.take(r.u32()));
        return;
      case SECTION.data:
        this.readData(r);
        return;
      // custom sections (names) and the data count (rewritten) are dropped
    }
  }

  private readData(r: ByteReader): void {
    const count = r.u32();
    const bodyStart = r.at;
    for (let i = 0; i < count; i++) {
      const flags = r.u32();
      if (flags === 1) throw new CapgateError("wasm_emit_error", `runtime.wasm: passive data segment ${i} is not supported`);
      if (flags === 2) r.u32();
      if (r.byte() !== 0x41) throw malformed(`data segment ${i} has a non-constant offset`);
      const offset = r.s32();
      if (r.byte() !== 0x0b) throw malformed(`data segment ${i} has a non-constant offset`);
      const length = r.u32();
      r.skip(length);
      this.data.segments.push({ offset, length });
    }
    this.data = { count, bytes: r.buf.subarray(bodyStart, r.end), segments: this.data.segments };
  }
}

function readImport(r: ByteReader): Import {
  const module = r.name();
  const base = r.name();
  const start = r.at;
  const kind = r.byte();
  if (kind === KIND.func) r.u32();
  else if (kind === KIND.table) {
    r.byte();
    limits(r);
  } else if (kind === KIND.memory) limits(r);
  else if (kind === KIND.global) r.skip(2);
  else throw malformed(`import kind ${kind}`);
  return { module, base, kind, desc: r.buf.subarray(start, r.at) };
}

function limits(r: ByteReader): void {
  const flags = r.byte();
  r.u32();
  if (flags & 1) r.u32();
}

function readGlobal(r: ByteReader): Global {
  const type = r.byte();
  const mutable = r.byte() === 1;
  const w = new ByteWriter();
  copyInstructions(r, w, (i) => i);
  return { type, mutable, init: w.done().slice() };
}

/** Node's WebAssembly.validate (the project's type libraries leave WebAssembly out). */
const wasmValidate = (bytes: Uint8Array): boolean =>
  (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(bytes);

const i32Const = (value: number): Uint8Array => new ByteWriter().byte(0x41).s32(value).byte(0x0b).done().slice();

/** The runtime being linked by writing Wasm bytes directly. */
export class DirectRuntime implements RuntimeLink {
  readonly module = new DirectModule();
  private readonly rt: RuntimeSections;
  private readonly funcImportCount: number;
  private readonly globalImportCount: number;
  private readonly funcExports = new Map<string, number>();
  private readonly globalExports = new Map<string, number>();
  private readonly addedImports: Array<{ module: string; base: string; params: readonly ValType[]; result: ValType }> = [];
  private keep: ReadonlySet<string> | undefined;
  private memoryExport: string | undefined;
  private staticData: Uint8Array | undefined;

  constructor(bytes: Uint8Array) {
    this.rt = new RuntimeSections(bytes);
    const memory = this.rt.imports.find((i) => i.kind === KIND.memory);
    if (!memory && !this.rt.hasMemorySection) throw new CapgateError("wasm_emit_error", "runtime.wasm has no memory");
    if (!memory || memory.module !== "env" || memory.base !== "memory" || this.rt.hasMemorySection) {
      throw new CapgateError("wasm_emit_error", "runtime.wasm must import its memory as env.memory (asc --importMemory)");
    }
    this.funcImportCount = this.rt.imports.filter((i) => i.kind === KIND.func).length;
    this.globalImportCount = this.rt.imports.filter((i) => i.kind === KIND.global).length;
    for (const e of this.rt.exports) {
      if (e.kind === KIND.func) this.funcExports.set(e.name, e.index);
      else if (e.kind === KIND.global) this.globalExports.set(e.name, e.index);
    }
  }

  func(name: RuntimeFunctionName | RuntimeBuiltinExport): string {
    const index = this.funcExports.get(name);
    if (index === undefined) throw new CapgateError("wasm_emit_error", `runtime.wasm does not export ${name}; rebuild the runtime`);
    return `rt:${index}`;
  }

  importFunc(module: string, base: string, params: readonly ValType[], result: ValType): string {
    let index = 0;
    for (const i of this.rt.imports) {
      if (i.kind !== KIND.func) continue;
      if (i.module === module && i.base === base) return `rt:${index}`;
      index++;
    }
    const name = `capgate:import:${module}.${base}`;
    if (!this.addedImports.some((a) => a.module === module && a.base === base)) this.addedImports.push({ module, base, params, result });
    return name;
  }

  staticBase(): number {
    let end = this.heapBase();
    for (const s of this.rt.data.segments) end = Math.max(end, s.offset + s.length);
    return align(end, 16);
  }

  placeStatic(base: number, data: Uint8Array): void {
    const heapStart = align(base + data.length, 16);
    this.setGlobalInit(HEAP_BASE_GLOBAL, heapStart);
    if (data.length === 0) return;
    this.staticData = data;
    const m = this.module;
    const segment = this.rt.data.count;
    const pages = Math.ceil(heapStart / PAGE);
    const memorySize = () => m.code([], I32, 0x3f, 0x00);
    const memoryGrow = (delta: number) => m.code([delta], I32, 0x40, 0x00);
    const body = [
      m.if(
        m.i32.lt_u(memorySize(), m.i32.const(pages)),
        m.if(m.i32.eq(memoryGrow(m.i32.sub(m.i32.const(pages), memorySize())), m.i32.const(-1)), m.unreachable()),
      ),
      // memory.init and data.drop of the static segment (the one after the runtime's)
      m.code([m.i32.const(base), m.i32.const(0), m.i32.const(data.length)], NONE, 0xfc, 0x08, ...leb(segment), 0x00),
      m.code([], NONE, 0xfc, 0x09, ...leb(segment)),
    ];
    if (this.rt.start !== undefined) body.push(m.call(`rt:${this.rt.start}`, [], NONE));
    m.addFunction(START_FUNCTION, [], NONE, [], m.block(null, body));
  }

  setGlobalInit(exportName: RuntimeGlobalName, value: number): void {
    const index = this.globalExports.get(exportName);
    const g = index === undefined ? undefined : this.rt.globals[index - this.globalImportCount];
    if (g === undefined) throw new CapgateError("wasm_emit_error", `runtime.wasm does not export the global ${exportName}`);
    g.init = i32Const(value);
  }

  pruneExports(keep: ReadonlySet<string>): void {
    this.keep = keep;
  }

  exportMemory(name: string): void {
    this.memoryExport = name;
  }

  finish(opts: { optimize: boolean; validate: boolean }): Uint8Array {
    if (opts.optimize) throw new CapgateError("wasm_emit_error", "optimizing needs the binaryen linker (binaryenLinker())");
    const bytes = new ModuleWriter(this.rt, this.module, this.addedImports, this.funcImportCount).write({
      keep: this.keep,
      memoryExport: this.memoryExport,
      staticData: this.staticData,
      start: this.module.functions.some((f) => f.name === START_FUNCTION) ? START_FUNCTION : undefined,
    });
    if (opts.validate && !wasmValidate(bytes)) throw invalidModule();
    return bytes;
  }

  dispose(): void {}

  private heapBase(): number {
    const index = this.globalExports.get(HEAP_BASE_GLOBAL);
    const g = index === undefined ? undefined : this.rt.globals[index - this.globalImportCount];
    if (!g || g.init[0] !== 0x41) return 0;
    return new ByteReader(g.init, 1).s32();
  }
}

function leb(n: number): number[] {
  return [...new ByteWriter().u32(n).done()];
}

interface WriteOptions {
  keep: ReadonlySet<string> | undefined;
  memoryExport: string | undefined;
  staticData: Uint8Array | undefined;
  start: string | undefined;
}

/** Writes the linked module: the runtime's sections with the emitter's entries appended. */
class ModuleWriter implements IndexSpace {
  private readonly out = new ByteWriter();
  private readonly ownFuncs = new Map<string, number>();
  private readonly ownGlobals = new Map<string, number>();
  private readonly types: Array<{ key: string; params: readonly ValType[]; result: ValType }> = [];
  /** How far the added function imports move the runtime's own functions. */
  private readonly shift: number;

  constructor(
    private readonly rt: RuntimeSections,
    private readonly m: DirectModule,
    private readonly added: ReadonlyArray<{ module: string; base: string; params: readonly ValType[]; result: ValType }>,
    private readonly funcImportCount: number,
  ) {
    this.shift = added.length;
    const firstOwn = funcImportCount + added.length + rt.funcTypes.count;
    m.functions.forEach((f, i) => this.ownFuncs.set(f.name, firstOwn + i));
    added.forEach((a, i) => this.ownFuncs.set(`capgate:import:${a.module}.${a.base}`, funcImportCount + i));
    const firstGlobal = rt.imports.filter((i) => i.kind === KIND.global).length + rt.globals.length;
    m.globals.forEach((g, i) => this.ownGlobals.set(g.name, firstGlobal + i));
  }

  func(name: string): number {
    if (name.startsWith("rt:")) return this.runtimeFunc(Number(name.slice(3)));
    const i = this.ownFuncs.get(name);
    if (i === undefined) throw new CapgateError("wasm_emit_error", `call to unknown function ${name}`);
    return i;
  }

  global(name: string): number {
    const i = this.ownGlobals.get(name);
    if (i === undefined) throw new CapgateError("wasm_emit_error", `unknown global ${name}`);
    return i;
  }

  private runtimeFunc(index: number): number {
    return index < this.funcImportCount ? index : index + this.shift;
  }

  private typeIndex(params: readonly ValType[], result: ValType): number {
    const key = `${params.join(",")}>${result}`;
    let i = this.types.findIndex((t) => t.key === key);
    if (i < 0) i = this.types.push({ key, params, result }) - 1;
    return this.rt.types.count + i;
  }

  write(opts: WriteOptions): Uint8Array {
    const o = this.out;
    o.bytes(Uint8Array.from(MAGIC));
    // Type indices are settled while writing imports and functions; the type
    // section goes first, so those two are written aside.
    const imports = this.importSection();
    const functions = this.functionSection();
    this.section(SECTION.type, this.typeSection());
    this.section(SECTION.import, imports);
    this.section(SECTION.function, functions);
    if (this.rt.table) this.section(SECTION.table, this.rt.table);
    this.section(SECTION.global, this.globalSection());
    this.section(SECTION.export, this.exportSection(opts));
    if (opts.start !== undefined) this.section(SECTION.start, new ByteWriter().u32(this.func(opts.start)));
    else if (this.rt.start !== undefined) this.section(SECTION.start, new ByteWriter().u32(this.runtimeFunc(this.rt.start)));
    if (this.rt.elements) this.section(SECTION.element, this.shift === 0 ? this.rt.elements : this.elementSection(this.rt.elements));
    const segments = this.rt.data.count + (opts.staticData ? 1 : 0);
    if (segments > 0) this.section(SECTION.dataCount, new ByteWriter().u32(segments));
    this.section(SECTION.code, this.codeSection());
    if (segments > 0) this.section(SECTION.data, this.dataSection(opts.staticData));
    return o.done();
  }

  private section(id: number, body: ByteWriter | Uint8Array): void {
    this.out.byte(id).sized(body);
  }

  private typeSection(): ByteWriter {
    const w = new ByteWriter().u32(this.rt.types.count + this.types.length).bytes(this.rt.types.bytes);
    for (const t of this.types) {
      w.byte(0x60).u32(t.params.length);
      for (const p of t.params) w.byte(valType(p));
      if (t.result === NONE) w.u32(0);
      else w.u32(1).byte(valType(t.result));
    }
    return w;
  }

  private importSection(): ByteWriter {
    const w = new ByteWriter();
    const funcs = this.rt.imports.filter((i) => i.kind === KIND.func);
    const others = this.rt.imports.filter((i) => i.kind !== KIND.func);
    w.u32(this.rt.imports.length + this.added.length);
    // Function imports first, the added ones after the runtime's, so indices stay dense.
    for (const i of funcs) w.name(i.module).name(i.base).bytes(i.desc);
    for (const a of this.added) w.name(a.module).name(a.base).byte(KIND.func).u32(this.typeIndex(a.params, a.result));
    for (const i of others) w.name(i.module).name(i.base).bytes(i.desc);
    return w;
  }

  private functionSection(): ByteWriter {
    const w = new ByteWriter().u32(this.rt.funcTypes.count + this.m.functions.length).bytes(this.rt.funcTypes.bytes);
    for (const f of this.m.functions) w.u32(this.typeIndex(f.params, f.result));
    return w;
  }

  private globalSection(): ByteWriter {
    const w = new ByteWriter().u32(this.rt.globals.length + this.m.globals.length);
    for (const g of this.rt.globals) w.byte(g.type).byte(g.mutable ? 1 : 0).bytes(this.shift === 0 ? g.init : this.remapExpr(g.init));
    for (const g of this.m.globals) w.byte(valType(I32)).byte(g.mutable ? 1 : 0).bytes(i32Const(g.init));
    return w;
  }

  private exportSection(opts: WriteOptions): ByteWriter {
    const entries: Array<[string, number, number]> = [];
    for (const e of this.rt.exports) {
      if (opts.keep && !opts.keep.has(e.name)) continue;
      entries.push([e.name, e.kind, e.kind === KIND.func ? this.runtimeFunc(e.index) : e.index]);
    }
    for (const e of this.m.exports) {
      entries.push(e.kind === "func" ? [e.external, KIND.func, this.func(e.internal)] : [e.external, KIND.global, this.global(e.internal)]);
    }
    if (opts.memoryExport !== undefined) entries.push([opts.memoryExport, KIND.memory, 0]);
    const w = new ByteWriter().u32(entries.length);
    for (const [name, kind, index] of entries) w.name(name).byte(kind).u32(index);
    return w;
  }

  private codeSection(): ByteWriter {
    const w = new ByteWriter().u32(this.rt.bodies.length + this.m.functions.length);
    for (const b of this.rt.bodies) w.sized(this.shift === 0 ? b : this.remapBody(b));
    for (const f of this.m.functions) w.sized(this.m.writeBody(f, this));
    return w;
  }

  private dataSection(staticData: Uint8Array | undefined): ByteWriter {
    const w = new ByteWriter().u32(this.rt.data.count + (staticData ? 1 : 0)).bytes(this.rt.data.bytes);
    // passive: the start function copies it in once memory is large enough
    if (staticData) w.u32(1).sized(staticData);
    return w;
  }

  private remapBody(body: Uint8Array): Uint8Array {
    const r = new ByteReader(body);
    const w = new ByteWriter();
    const start = r.at;
    for (let n = r.u32(); n > 0; n--) {
      r.u32();
      r.byte();
    }
    w.bytes(body.subarray(start, r.at));
    copyInstructions(r, w, (i) => this.runtimeFunc(i));
    return w.done();
  }

  private remapExpr(expr: Uint8Array): Uint8Array {
    const w = new ByteWriter();
    copyInstructions(new ByteReader(expr), w, (i) => this.runtimeFunc(i));
    return w.done();
  }

  /** Element segments with their function indices moved (all eight encodings). */
  private elementSection(bytes: Uint8Array): ByteWriter {
    const r = new ByteReader(bytes);
    const w = new ByteWriter();
    const n = r.u32();
    w.u32(n);
    const fn = (i: number): number => this.runtimeFunc(i);
    for (let s = 0; s < n; s++) {
      const flags = r.u32();
      w.u32(flags);
      if (flags === 2 || flags === 6) w.u32(r.u32()); // table index
      if ((flags & 1) === 0) copyInstructions(r, w, fn); // offset
      if (flags === 1 || flags === 2 || flags === 3 || flags >= 5) w.byte(r.byte()); // element kind or reference type
      const count = r.u32();
      w.u32(count);
      for (let i = 0; i < count; i++) {
        if (flags & 4) copyInstructions(r, w, fn);
        else w.u32(fn(r.u32()));
      }
    }
    return w;
  }
}
