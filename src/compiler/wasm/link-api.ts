// What the emitter builds code with and links into, independent of how the module is
// written: the direct linker (link-direct.ts, the default: encodes the bytecode itself
// and appends it to runtime.wasm, no binaryen) and the binaryen linker
// (link-binaryen.ts: optimisation, binaryen's validator, the differential tests)
// both implement these. The expression half is the subset of binaryen.Module's API
// the emitter uses, under the same names, so binaryen's module fits it as it is.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CapgateError } from "../../errors.js";
import type { RuntimeBuiltinExport, RuntimeFunctionName, RuntimeGlobalName } from "../../wasm-abi/index.js";

/** An expression handle (binaryen's ExpressionRef, or a node of the direct linker). */
export type Expr = number;
/** A value type: binaryen's basic type ids, which link-binaryen.ts checks at load. */
export type ValType = number;
export const NONE: ValType = 0;
export const I32: ValType = 2;
export const I64: ValType = 3;

/** The expressions the emitter builds (names as binaryen.Module has them). */
export interface ExprBuilder {
  block(label: string | null, children: readonly Expr[], resultType?: ValType): Expr;
  loop(label: string | null, body: Expr): Expr;
  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr;
  br(label: string, condition?: Expr): Expr;
  call(name: string, operands: readonly Expr[], returnType: ValType): Expr;
  return(value?: Expr): Expr;
  nop(): Expr;
  unreachable(): Expr;
  local: {
    get(index: number, type: ValType): Expr;
    set(index: number, value: Expr): Expr;
    tee(index: number, value: Expr, type: ValType): Expr;
  };
  global: {
    get(name: string, type: ValType): Expr;
    set(name: string, value: Expr): Expr;
  };
  i32: {
    const(value: number): Expr;
    eqz(value: Expr): Expr;
    eq(left: Expr, right: Expr): Expr;
    ne(left: Expr, right: Expr): Expr;
    and(left: Expr, right: Expr): Expr;
    add(left: Expr, right: Expr): Expr;
    ge_s(left: Expr, right: Expr): Expr;
    store8(offset: number, align: number, ptr: Expr, value: Expr): Expr;
  };
  i64: {
    const(value: bigint): Expr;
  };
}

/** A module being linked: expressions plus the functions, globals and exports added to it. */
export interface ModuleBuilder extends ExprBuilder {
  addFunction(name: string, params: readonly ValType[], result: ValType, vars: readonly ValType[], body: Expr): void;
  /** A global holding an i32 constant initially. */
  addGlobal(name: string, mutable: boolean, init: number): void;
  addFunctionExport(internalName: string, externalName: string): void;
  addGlobalExport(internalName: string, externalName: string): void;
}

/** The runtime being linked into, looked up by its export names. */
export interface RuntimeLink {
  readonly module: ModuleBuilder;
  /** The internal name of the runtime function exported as `name`. */
  func(name: RuntimeFunctionName | RuntimeBuiltinExport): string;
  /** The internal name of an imported function, adding the import when the runtime lacks it. */
  importFunc(module: string, base: string, params: readonly ValType[], result: ValType): string;
  /** Where the emitter's static data may start: after the runtime's data and heap base. */
  staticBase(): number;
  /** Adds the emitter's data at `base` and moves the runtime's heap start past it. */
  placeStatic(base: number, data: Uint8Array): void;
  /** Rewrites the initial value of an exported i32 global of the runtime. */
  setGlobalInit(exportName: RuntimeGlobalName, value: number): void;
  /** Removes every export not in `keep` (the runtime's internals stay callable by name). */
  pruneExports(keep: ReadonlySet<string>): void;
  /** Exports the imported memory as `name`. */
  exportMemory(name: string): void;
  /** The module's bytes; `validate` fails on an invalid module (an emitter bug). */
  finish(opts: { optimize: boolean; validate: boolean }): Uint8Array;
  dispose(): void;
}

/** Opens runtime bytes for linking. */
export type Linker = (runtime: Uint8Array) => RuntimeLink;

export const PAGE = 65536;
/** The name of the emitter's passive data segment, copied in by the start function. */
export const STATIC_SEGMENT = "capgate:static";
export const START_FUNCTION = "capgate:start";

let cachedRuntime: Uint8Array | undefined;

/**
 * The runtime bytes, found next to this file: in the source tree where
 * scripts/build-runtime.mjs writes it, and in dist/ where scripts/build.mjs copies it.
 */
export function runtimeBytes(): Uint8Array {
  if (cachedRuntime) return cachedRuntime;
  const path = join(dirname(fileURLToPath(import.meta.url)), "runtime", "build", "runtime.wasm");
  if (!existsSync(path)) {
    throw new CapgateError("wasm_emit_error", `runtime.wasm not found at ${path}; run npm run build`);
  }
  cachedRuntime = new Uint8Array(readFileSync(path));
  return cachedRuntime;
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function invalidModule(): CapgateError {
  return new CapgateError("wasm_emit_error", "the linked module does not validate (an emitter bug)");
}
