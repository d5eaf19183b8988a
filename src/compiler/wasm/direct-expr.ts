// The direct linker's expressions: the emitter's binaryen-style calls build a small
// tree here, and each function is written as Wasm bytecode once the module's
// function and global indices are known (link-direct.ts). Branches name their
// target as in binaryen and become relative depths when written. A block without
// a name is nothing in Wasm, so its children are written in place.
import { CapgateError } from "../../errors.js";
import { I32, I64, NONE, type Expr, type ModuleBuilder, type ValType } from "./link-api.js";
import { ByteWriter } from "./wasm-bytes.js";

/** The type of an expression that never completes (br, return, unreachable). */
const UNREACHABLE: ValType = 1;

type Node =
  | { op: "block"; label: string | null; children: readonly Expr[]; type: ValType }
  | { op: "loop"; label: string | null; body: Expr; type: ValType }
  | { op: "if"; cond: Expr; then: Expr; else: Expr | undefined; type: ValType }
  | { op: "br"; label: string; cond: Expr | undefined; type: ValType }
  | { op: "call"; name: string; args: readonly Expr[]; type: ValType }
  | { op: "global"; name: string; set: Expr | undefined; type: ValType }
  /** Operands, then fixed bytes: an opcode with its immediates. */
  | { op: "code"; args: readonly Expr[]; code: Uint8Array; type: ValType };

export interface FunctionDef {
  name: string;
  params: readonly ValType[];
  result: ValType;
  vars: readonly ValType[];
  body: Expr;
}

/** Index lookups the body writer needs; answered by the linker when it writes the module. */
export interface IndexSpace {
  func(name: string): number;
  global(name: string): number;
}

export class DirectModule implements ModuleBuilder {
  private readonly nodes: Node[] = [];
  readonly functions: FunctionDef[] = [];
  readonly globals: Array<{ name: string; mutable: boolean; init: number }> = [];
  readonly exports: Array<{ kind: "func" | "global"; internal: string; external: string }> = [];

  private add(n: Node): Expr {
    this.nodes.push(n);
    return this.nodes.length - 1;
  }

  private typeOf(e: Expr): ValType {
    return this.node(e).type;
  }

  private node(e: Expr): Node {
    const n = this.nodes[e];
    if (n === undefined) throw new CapgateError("wasm_emit_error", `unknown expression ${e}`);
    return n;
  }

  /** Operands then bytes: the form of every instruction without names or nesting. */
  code(args: readonly Expr[], type: ValType, ...immediates: number[]): Expr {
    return this.add({ op: "code", args, code: Uint8Array.from(immediates), type });
  }

  private coded(type: ValType, args: readonly Expr[], head: number[], tail: (w: ByteWriter) => void = () => undefined): Expr {
    const w = new ByteWriter();
    for (const b of head) w.byte(b);
    tail(w);
    return this.add({ op: "code", args, code: w.done().slice(), type });
  }

  block(label: string | null, children: readonly Expr[], resultType?: ValType): Expr {
    const last = children.length > 0 ? this.typeOf(children[children.length - 1]!) : NONE;
    return this.add({ op: "block", label, children, type: resultType ?? last });
  }

  loop(label: string | null, body: Expr): Expr {
    return this.add({ op: "loop", label, body, type: this.typeOf(body) });
  }

  if(cond: Expr, ifTrue: Expr, ifFalse?: Expr): Expr {
    const t = this.typeOf(ifTrue);
    const type = ifFalse === undefined ? NONE : t === UNREACHABLE ? this.typeOf(ifFalse) : t;
    return this.add({ op: "if", cond, then: ifTrue, else: ifFalse, type });
  }

  br(label: string, cond?: Expr): Expr {
    return this.add({ op: "br", label, cond, type: cond === undefined ? UNREACHABLE : NONE });
  }

  call(name: string, operands: readonly Expr[], returnType: ValType): Expr {
    return this.add({ op: "call", name, args: operands, type: returnType });
  }

  return(value?: Expr): Expr {
    return this.code(value === undefined ? [] : [value], UNREACHABLE, 0x0f);
  }

  nop(): Expr {
    return this.code([], NONE);
  }

  unreachable(): Expr {
    return this.code([], UNREACHABLE, 0x00);
  }

  readonly local = {
    get: (index: number, type: ValType): Expr => this.coded(type, [], [0x20], (w) => w.u32(index)),
    set: (index: number, value: Expr): Expr => this.coded(NONE, [value], [0x21], (w) => w.u32(index)),
    tee: (index: number, value: Expr, type: ValType): Expr => this.coded(type, [value], [0x22], (w) => w.u32(index)),
  };

  readonly global = {
    get: (name: string, type: ValType): Expr => this.add({ op: "global", name, set: undefined, type }),
    set: (name: string, value: Expr): Expr => this.add({ op: "global", name, set: value, type: NONE }),
  };

  readonly i32 = {
    const: (value: number): Expr => this.coded(I32, [], [0x41], (w) => w.s32(value)),
    eqz: (value: Expr): Expr => this.code([value], I32, 0x45),
    eq: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x46),
    ne: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x47),
    lt_u: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x49),
    ge_s: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x4e),
    add: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x6a),
    sub: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x6b),
    and: (a: Expr, b: Expr): Expr => this.code([a, b], I32, 0x71),
    // memarg: log2 of the alignment, then the offset
    store8: (offset: number, align: number, ptr: Expr, value: Expr): Expr =>
      this.coded(NONE, [ptr, value], [0x3a], (w) => w.u32(align === 0 ? 0 : Math.log2(align)).u32(offset)),
  };

  readonly i64 = {
    const: (value: bigint): Expr => this.coded(I64, [], [0x42], (w) => w.s64(BigInt(value))),
  };

  addFunction(name: string, params: readonly ValType[], result: ValType, vars: readonly ValType[], body: Expr): void {
    this.functions.push({ name, params, result, vars, body });
  }

  addGlobal(name: string, mutable: boolean, init: number): void {
    this.globals.push({ name, mutable, init });
  }

  addFunctionExport(internal: string, external: string): void {
    this.exports.push({ kind: "func", internal, external });
  }

  addGlobalExport(internal: string, external: string): void {
    this.exports.push({ kind: "global", internal, external });
  }

  /** A function's code entry: its locals, then its body's instructions. */
  writeBody(f: FunctionDef, space: IndexSpace): Uint8Array {
    const w = new ByteWriter();
    const runs: Array<[number, ValType]> = [];
    for (const t of f.vars) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    w.u32(runs.length);
    for (const [n, t] of runs) w.u32(n).byte(valType(t));
    new BodyWriter(this.nodes, space, w).expr(f.body);
    w.byte(0x0b);
    return w.done();
  }
}

export function valType(t: ValType): number {
  if (t === I32) return 0x7f;
  if (t === I64) return 0x7e;
  throw new CapgateError("wasm_emit_error", `unsupported value type ${t}`);
}

/** Writes one function's instructions, turning label names into branch depths. */
class BodyWriter {
  /** Labels of the enclosing Wasm blocks, loops and ifs, innermost last (null: unnamed). */
  private readonly labels: Array<string | null> = [];

  constructor(
    private readonly nodes: readonly Node[],
    private readonly space: IndexSpace,
    private readonly w: ByteWriter,
  ) {}

  expr(e: Expr): void {
    const n = this.nodes[e]!;
    const w = this.w;
    switch (n.op) {
      case "code":
        for (const a of n.args) this.expr(a);
        w.bytes(n.code);
        return;
      case "call":
        for (const a of n.args) this.expr(a);
        w.byte(0x10).u32(this.space.func(n.name));
        return;
      case "global":
        if (n.set !== undefined) this.expr(n.set);
        w.byte(n.set === undefined ? 0x23 : 0x24).u32(this.space.global(n.name));
        return;
      case "br":
        if (n.cond !== undefined) this.expr(n.cond);
        w.byte(n.cond === undefined ? 0x0c : 0x0d).u32(this.depth(n.label));
        return;
      case "block":
        if (n.label === null) {
          for (const c of n.children) this.expr(c);
          return;
        }
        this.nested(0x02, n.label, n.type, () => n.children.forEach((c) => this.expr(c)));
        return;
      case "loop":
        this.nested(0x03, n.label, n.type, () => this.expr(n.body));
        return;
      case "if":
        this.expr(n.cond);
        this.nested(0x04, null, n.type, () => {
          this.expr(n.then);
          if (n.else === undefined) return;
          w.byte(0x05);
          this.expr(n.else);
        });
        return;
    }
  }

  private nested(opcode: number, label: string | null, type: ValType, body: () => void): void {
    this.w.byte(opcode).byte(type === I32 || type === I64 ? valType(type) : 0x40);
    this.labels.push(label);
    body();
    this.labels.pop();
    this.w.byte(0x0b);
  }

  private depth(label: string): number {
    const i = this.labels.lastIndexOf(label);
    if (i < 0) throw new CapgateError("wasm_emit_error", `branch to ${label}, which does not enclose it`);
    return this.labels.length - 1 - i;
  }
}
