// The planner's state and the helpers every planning step uses: the string
// table, the funcs planned so far, the current func's frame (locals, bound
// vars, the block statements go into), and emitting statements. The
// expression planner (expr-planner.ts) and the rule planner (planner.ts) build
// on it.
import { CapgateError } from "../../errors.js";
import type * as ast from "../ast/types.js";
import * as ir from "../ir/types.js";
import type { CompiledPolicy } from "../ast/compiled-policy.js";

export type K = () => void;
export type KOp = (op: ir.Operand) => void;

/**
 * What a `with` put in place of a function or a rule's document: a constant, a
 * function to call instead, or a value the `with` site computed into a local.
 */
export type Mock = { kind: "const"; term: ast.Term } | { kind: "func"; name: string } | { kind: "local"; local: ir.Local };

/** Per-func planning state. */
export interface Frame {
  next: number;
  vars: Map<string, ir.Local>;
  bound: Set<string>;
  curr: ir.Stmt[];
  depth: number;
  input: ir.Local;
  data: ir.Local;
  mocks: Map<string, Mock>;
}

export class PlannerState {
  protected readonly strings: string[] = [];
  protected readonly stringIndex = new Map<string, number>();
  protected readonly files: string[] = [];
  protected readonly funcs: ir.Func[] = [];
  protected readonly funcNames = new Map<string, string>();
  protected readonly builtinsUsed = new Map<string, number>();
  /** Mock sets seen so far → variant number used in func names (0: no mocks). */
  protected readonly variants = new Map<string, number>([["", 0]]);
  protected loc: ast.Location = { file: "", row: 0, col: 0 };
  protected f!: Frame;

  constructor(protected readonly compiled: CompiledPolicy) {}

  // ------------------------------------------------------------ helpers

  protected str(s: string): ir.Operand {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return { kind: "string", index: i };
  }

  protected fileIndex(file: string): number {
    let i = this.files.indexOf(file);
    if (i < 0) {
      i = this.files.length;
      this.files.push(file);
    }
    return i;
  }

  protected emit(body: ir.StmtBody): void {
    this.f.curr.push({ ...body, loc: { file: this.fileIndex(this.loc.file), row: this.loc.row, col: this.loc.col } } as ir.Stmt);
  }

  protected newLocal(): ir.Local {
    return this.f.next++;
  }

  /** Runs `fn` with a fresh current block one level deeper; returns the block. */
  protected block(fn: () => void): ir.Block {
    const prev = this.f.curr;
    const stmts: ir.Stmt[] = [];
    this.f.curr = stmts;
    this.f.depth++;
    try {
      fn();
    } finally {
      this.f.depth--;
      this.f.curr = prev;
    }
    return { stmts };
  }

  protected local(op: ir.Operand): ir.Local {
    if (op.kind === "local") return op.local;
    const l = this.newLocal();
    this.emit({ kind: "AssignVar", source: op, target: l });
    return l;
  }

  protected varLocal(name: string): ir.Local {
    let l = this.f.vars.get(name);
    if (l === undefined) {
      l = this.newLocal();
      this.f.vars.set(name, l);
    }
    return l;
  }

  protected varOp(name: string): ir.Operand {
    return { kind: "local", local: this.varLocal(name) };
  }

  protected isBound(name: string): boolean {
    return name === "input" || name === "data" || this.f.bound.has(name);
  }

  /** Marks `name` bound while `k` plans the rest, then unbound again for sibling paths. */
  protected bind(name: string, k: K): void {
    const was = this.f.bound.has(name);
    this.f.bound.add(name);
    try {
      k();
    } finally {
      if (!was) this.f.bound.delete(name);
    }
  }

  protected fail(message: string): never {
    throw new CapgateError("rego_plan_error", message, { location: this.loc });
  }

  protected inputOp(): ir.Operand {
    return { kind: "local", local: this.f.input };
  }

  protected dataOp(): ir.Operand {
    return { kind: "local", local: this.f.data };
  }
}
