// Translates IR blocks and statements into Wasm expressions (link-api.ts). Each IR block is
// one Wasm `block`; a statement that is undefined branches out of the innermost IR
// block, and `Break n` branches out of the (n+1)-th. Helper constructs (Scan's loop,
// Not's flag) add Wasm labels that Break does not count. Block, Scan and With are
// always defined, and a statement reading an undefined local is undefined, as in
// the planner's reference interpreter (test/support/ir-interpreter.ts).
import { CapgateError } from "../../errors.js";
import type * as ir from "../ir/types.js";
import { RUNTIME_ERROR_KIND, VALUE_TYPE, type RuntimeFunctionName } from "../../wasm-abi/index.js";
import { I32, NONE, type Expr, type ModuleBuilder, type RuntimeLink, type ValType } from "./link-api.js";
import { bumpEpoch } from "./memoize.js";
import type { StaticData } from "./static-data.js";

const i32 = I32;

/** The runtime's host built-in call per arity (opa_builtin0..4 after recording the operands). */
const HOST_CALLS = ["capgate_host_call0", "capgate_host_call1", "capgate_host_call2", "capgate_host_call3", "capgate_host_call4"] as const satisfies readonly RuntimeFunctionName[];
const MAX_HOST_ARITY = HOST_CALLS.length - 1;

/** How a Call's callee is reached. */
export type Callee =
  | { kind: "func"; name: string; arity: number }
  | { kind: "runtime"; name: string; arity: number }
  /** arity null: a host built-in the planner did not declare; any argument count goes. */
  | { kind: "host"; id: number; arity: number | null }
  /** print(), run by the runtime's capgate_print. */
  | { kind: "print"; arity: 1 };

/** The built-in the planner calls for print(...). */
export const PRINT = "internal.print";

/** What a function body needs from the whole-module emitter. */
export interface ModuleContext {
  m: ModuleBuilder;
  rt: RuntimeLink;
  data: StaticData;
  policy: ir.Policy;
  resolveCall(name: string): Callee;
  /** Planned functions that implement a data path, for CallDynamic. */
  pathFuncs: readonly { wasmName: string; path: readonly string[]; arity: number }[];
  nextLabel(): string;
  /** With coverage on: the byte slot of a source line, set to 1 when a statement of that line runs. */
  coverageSlot?(loc: ir.StmtLocation): number | undefined;
}

/** The exported global holding the address of the coverage bytes (one per source line with statements). */
export const COVERAGE_GLOBAL = "capgate_coverage";

interface Label {
  /** Where an undefined statement of this IR block branches. */
  name: string;
  /** True for labels of IR blocks, the only ones Break and undefined count. */
  ir: boolean;
  /** Where a Break out of this block branches, when not `name` (a Not body). */
  breakName?: string;
  /** For a With body: restores the replaced local; a Break leaving the body runs it first. */
  restore?: () => Expr;
}

/** Compiles one function or plan body. */
export class BodyEmitter {
  private readonly localIndex = new Map<ir.Local, number>();
  private readonly varTypes: ValType[] = [];
  private readonly labels: Label[] = [];

  /**
   * `params` are the IR locals passed as Wasm parameters, in order; `extraParams`
   * are Wasm-only parameters after them (a plan's result set).
   */
  constructor(
    private readonly ctx: ModuleContext,
    params: readonly ir.Local[],
    private readonly extraParams: number,
    /** The conflict kind AssignVarOnce reports in this body. */
    private readonly assignConflict: number,
  ) {
    params.forEach((p, i) => this.localIndex.set(p, i));
    this.paramCount = params.length + extraParams;
  }

  private readonly paramCount: number;

  /** Wasm types of the non-parameter locals, for addFunction. */
  vars(): ValType[] {
    return this.varTypes;
  }

  /** The Wasm index of an extra (Wasm-only) parameter. */
  extraParam(i: number): number {
    return this.paramCount - this.extraParams + i;
  }

  /** A fresh scratch local. */
  scratch(type: ValType = i32): number {
    this.varTypes.push(type);
    return this.paramCount + this.varTypes.length - 1;
  }

  local(l: ir.Local): number {
    if (!Number.isInteger(l) || l < 0) {
      throw new CapgateError("wasm_emit_error", `local ${JSON.stringify(l)} is not a non-negative integer`);
    }
    let idx = this.localIndex.get(l);
    if (idx === undefined) {
      idx = this.scratch();
      this.localIndex.set(l, idx);
    }
    return idx;
  }

  /** A sequence of IR blocks run in turn, each its own Wasm block. */
  blocks(blocks: readonly ir.Block[], resultSet: number | null): Expr[] {
    return blocks.map((b) => this.block(b, resultSet));
  }

  block(b: ir.Block, resultSet: number | null): Expr {
    const name = this.ctx.nextLabel();
    this.labels.push({ name, ir: true });
    const body = b.stmts.map((s) => this.stmt(s, resultSet));
    this.labels.pop();
    return this.ctx.m.block(name, body, NONE);
  }

  private irLabel(depth: number, loc: ir.StmtLocation): string {
    return this.labels[this.irLabelIndex(depth, loc)]!.name;
  }

  private irLabelIndex(depth: number, loc: ir.StmtLocation): number {
    let seen = 0;
    for (let i = this.labels.length - 1; i >= 0; i--) {
      if (!this.labels[i]!.ir) continue;
      if (seen === depth) return i;
      seen++;
    }
    throw this.error(`Break ${depth} leaves more blocks than enclose it`, loc);
  }

  /** Break: restore every With it leaves (innermost first), then branch. */
  private breakOut(depth: number, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    const target = this.irLabelIndex(depth, loc);
    const restores: Expr[] = [];
    for (let i = this.labels.length - 1; i >= target; i--) {
      const r = this.labels[i]!.restore;
      if (r) restores.push(r());
    }
    const l = this.labels[target]!;
    const br = m.br(l.breakName ?? l.name);
    return restores.length === 0 ? br : m.block(null, [...restores, br]);
  }

  /** Branch out of the current IR block (the statement is undefined). */
  private undefinedIf(cond: Expr, loc: ir.StmtLocation): Expr {
    return this.ctx.m.br(this.irLabel(0, loc), cond);
  }

  private read(op: ir.Operand, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    switch (op.kind) {
      case "local":
        return m.local.get(this.local(op.local), i32);
      case "string":
        return m.i32.const(this.ctx.data.stringValue(this.string(op.index, loc)));
      case "bool":
        return m.i32.const(this.ctx.data.boolValue(op.value));
      default:
        throw this.error(`unknown operand ${JSON.stringify(op)}`, loc);
    }
  }

  private string(index: number, loc: ir.StmtLocation): string {
    const s = this.ctx.policy.static.strings[index];
    if (s === undefined) throw this.error(`string index ${index} is out of range`, loc);
    return s;
  }

  private call(exportName: RuntimeFunctionName, args: Expr[], result: ValType = i32): Expr {
    return this.ctx.m.call(this.ctx.rt.func(exportName), args, result);
  }

  private set(l: ir.Local, v: Expr): Expr {
    return this.ctx.m.local.set(this.local(l), v);
  }

  private get(l: ir.Local): Expr {
    return this.ctx.m.local.get(this.local(l), i32);
  }

  private stmt(s: ir.Stmt, rs: number | null): Expr {
    const guards = this.guards(s);
    const body = this.stmtBody(s, rs);
    const slot = this.ctx.coverageSlot?.(s.loc);
    const m = this.ctx.m;
    // Coverage marks the line reached before the statement runs, as OPA's tracer sees an expression evaluated.
    const mark = slot === undefined ? [] : [m.i32.store8(slot, 0, m.global.get(COVERAGE_GLOBAL, i32), m.i32.const(1))];
    return guards.length === 0 && mark.length === 0 ? body : m.block(null, [...mark, ...guards, body]);
  }

  /** Leaves the block when an operand the statement reads is an undefined local. */
  private guards(s: ir.Stmt): Expr[] {
    let ops: ir.Operand[];
    switch (s.kind) {
      case "Dot":
        ops = [s.source, s.key];
        break;
      case "Len":
        ops = [s.source];
        break;
      case "AssignVarOnce":
        ops = [s.source];
        break;
      case "Equal":
      case "NotEqual":
        ops = [s.a, s.b];
        break;
      case "ArrayAppend":
        ops = [s.value, local(s.array)];
        break;
      case "ObjectInsert":
      case "ObjectInsertOnce":
        ops = [s.key, s.value, local(s.object)];
        break;
      case "ObjectMerge":
        ops = [local(s.a), local(s.b)];
        break;
      case "SetAdd":
        ops = [s.value, local(s.set)];
        break;
      case "With":
        ops = [s.value];
        break;
      case "ResultSetAdd":
        ops = [local(s.value)];
        break;
      case "Call":
        // planned functions take an undefined input as is; built-ins get values only
        ops = this.ctx.resolveCall(s.func).kind === "func" ? [] : s.args;
        break;
      default:
        ops = [];
    }
    const seen = new Set<number>();
    const out: Expr[] = [];
    for (const op of ops) {
      if (op.kind !== "local" || seen.has(op.local)) continue;
      seen.add(op.local);
      out.push(this.undefinedIf(this.ctx.m.i32.eqz(this.get(op.local)), s.loc));
    }
    return out;
  }

  private stmtBody(s: ir.Stmt, rs: number | null): Expr {
    const m = this.ctx.m;
    const loc = s.loc;
    switch (s.kind) {
      case "ReturnLocal":
        if (rs !== null) throw this.error("ReturnLocal outside a function", loc);
        return m.return(this.get(s.source));
      case "Call":
        return this.callStmt(s, loc);
      case "CallDynamic":
        return this.callDynamic(s, loc);
      case "Block":
        return m.block(null, this.blocks(s.blocks, rs));
      case "Break":
        return this.breakOut(s.index, loc);
      case "Dot": {
        if (s.source.kind !== "local") return m.br(this.irLabel(0, loc)); // scalars have no keys
        return this.undefinedIf(
          m.i32.eqz(m.local.tee(this.local(s.target), this.call("capgate_value_get", [this.read(s.source, loc), this.read(s.key, loc)]), i32)),
          loc,
        );
      }
      case "Len":
        return this.undefinedIf(
          m.i32.eqz(m.local.tee(this.local(s.target), this.call("capgate_len", [this.read(s.source, loc)]), i32)),
          loc,
        );
      case "Scan":
        return this.scan(s, rs);
      case "Not": {
        // The body completing, or a Break 0 out of it, makes Not undefined; an
        // undefined statement in the body makes it defined.
        const flag = this.scratch();
        const undef = this.ctx.nextLabel();
        const done = this.ctx.nextLabel();
        this.labels.push({ name: undef, ir: true, breakName: done });
        const body = s.block.stmts.map((st) => this.stmt(st, rs));
        this.labels.pop();
        return m.block(null, [
          m.local.set(flag, m.i32.const(1)),
          m.block(undef, [m.block(done, body), m.local.set(flag, m.i32.const(0))]),
          this.undefinedIf(m.i32.eqz(m.local.get(flag, i32)), loc),
        ]);
      }
      case "AssignInt":
        return this.set(s.target, this.call("capgate_number_int", [m.i64.const(BigInt(s.value))]));
      case "AssignVar":
        return this.set(s.target, this.read(s.source, loc));
      case "AssignVarOnce": {
        const t = this.local(s.target);
        const src = this.scratch();
        return m.block(null, [
          m.local.set(src, this.read(s.source, loc)),
          m.if(
            m.i32.and(
              m.i32.ne(m.local.get(t, i32), m.i32.const(0)),
              m.i32.eqz(this.call("capgate_value_equal", [m.local.get(t, i32), m.local.get(src, i32)])),
            ),
            this.runtimeError(this.assignConflict, loc),
          ),
          m.local.set(t, m.local.get(src, i32)),
        ]);
      }
      case "ResetLocal":
        return this.set(s.target, m.i32.const(0));
      case "MakeNull":
        return this.set(s.target, this.call("capgate_null", []));
      case "MakeNumberInt":
        return this.set(s.target, this.call("capgate_number_int", [m.i64.const(s.value)]));
      case "MakeNumberRef": {
        const t = this.ctx.data.text(this.string(s.index, loc));
        return this.set(s.target, this.call("capgate_number_ref", [m.i32.const(t.addr), m.i32.const(t.len)]));
      }
      case "MakeArray":
        return this.set(s.target, this.call("capgate_array", [m.i32.const(s.capacity)]));
      case "MakeObject":
        return this.set(s.target, this.call("capgate_object", []));
      case "MakeSet":
        return this.set(s.target, this.call("capgate_set", []));
      case "Equal":
        if (sameOperand(s.a, s.b)) return m.nop();
        return this.undefinedIf(m.i32.eqz(this.call("capgate_value_equal", [this.read(s.a, loc), this.read(s.b, loc)])), loc);
      case "NotEqual":
        if (sameOperand(s.a, s.b)) return m.br(this.irLabel(0, loc));
        return this.undefinedIf(this.call("capgate_value_equal", [this.read(s.a, loc), this.read(s.b, loc)]), loc);
      case "IsArray":
        return this.typeIs(s.source, VALUE_TYPE.array, loc);
      case "IsObject":
        return this.typeIs(s.source, VALUE_TYPE.object, loc);
      case "IsSet":
        return this.typeIs(s.source, VALUE_TYPE.set, loc);
      case "IsDefined":
        return this.undefinedIf(m.i32.eqz(this.get(s.source)), loc);
      case "IsUndefined":
        return this.undefinedIf(m.i32.ne(this.get(s.source), m.i32.const(0)), loc);
      case "ArrayAppend":
        return this.call("capgate_array_append", [this.get(s.array), this.read(s.value, loc)], NONE);
      case "ObjectInsert":
        return this.call("capgate_object_insert", [this.get(s.object), this.read(s.key, loc), this.read(s.value, loc)], NONE);
      case "ObjectInsertOnce":
        return m.if(
          this.call("capgate_object_insert_once", [this.get(s.object), this.read(s.key, loc), this.read(s.value, loc)]),
          this.runtimeError(RUNTIME_ERROR_KIND.objectKeyConflict, loc),
        );
      case "ObjectMerge":
        return this.set(s.target, this.call("capgate_object_merge", [this.get(s.a), this.get(s.b)]));
      case "SetAdd":
        return this.call("capgate_set_add", [this.get(s.set), this.read(s.value, loc)], NONE);
      case "With":
        return this.withStmt(s, rs, loc);
      case "Nop":
        return m.nop();
      case "ResultSetAdd":
        if (rs === null) throw this.error("ResultSetAdd outside a plan", loc);
        return this.call("capgate_set_add", [m.local.get(rs, i32), this.get(s.value)], NONE);
      default: {
        const unknown = s as { kind?: unknown };
        throw this.error(`unknown IR statement kind ${JSON.stringify(unknown.kind)}`, loc);
      }
    }
  }

  private typeIs(op: ir.Operand, tag: number, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    if (op.kind !== "local") return m.br(this.irLabel(0, loc));
    return this.undefinedIf(m.i32.ne(this.call("capgate_value_type", [this.read(op, loc)]), m.i32.const(tag)), loc);
  }

  private scan(s: Extract<ir.Stmt, { kind: "Scan" }>, rs: number | null): Expr {
    const m = this.ctx.m;
    const n = this.scratch();
    const i = this.scratch();
    const src = this.local(s.source);
    const exit = this.ctx.nextLabel();
    const next = this.ctx.nextLabel();
    this.labels.push({ name: exit, ir: false }, { name: next, ir: false });
    const body = this.block(s.block, rs);
    this.labels.pop();
    this.labels.pop();
    return m.block(exit, [
      m.local.set(
        n,
        m.if(m.local.get(src, i32), this.call("capgate_iter_count", [m.local.get(src, i32)]), m.i32.const(0)),
      ),
      m.local.set(i, m.i32.const(0)),
      m.loop(
        next,
        m.block(null, [
          m.br(exit, m.i32.ge_s(m.local.get(i, i32), m.local.get(n, i32))),
          this.set(s.key, this.call("capgate_iter_key", [m.local.get(src, i32), m.local.get(i, i32)])),
          this.set(s.value, this.call("capgate_iter_value", [m.local.get(src, i32), m.local.get(i, i32)])),
          m.local.set(i, m.i32.add(m.local.get(i, i32), m.i32.const(1))),
          body,
          m.br(next),
        ]),
      ),
    ]);
  }

  private withStmt(s: Extract<ir.Stmt, { kind: "With" }>, rs: number | null, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    const target = this.local(s.local);
    const saved = this.scratch();
    let replace: Expr;
    if (s.path.length === 0) {
      replace = this.read(s.value, loc);
    } else {
      const path = this.scratch();
      const base = this.scratch();
      replace = m.block(
        null,
        [
          m.local.set(path, this.call("capgate_array", [m.i32.const(s.path.length)])),
          ...s.path.map((p) =>
            this.call("capgate_array_append", [m.local.get(path, i32), m.i32.const(this.ctx.data.stringValue(this.string(p, loc)))], NONE),
          ),
          // an undefined base (no input given) is upserted into as an empty object
          m.local.set(base, m.local.get(saved, i32)),
          m.if(m.i32.eqz(m.local.get(base, i32)), m.local.set(base, this.call("capgate_object", []))),
          this.call("capgate_value_upsert", [m.local.get(base, i32), m.local.get(path, i32), this.read(s.value, loc)]),
        ],
        i32,
      );
    }
    const name = this.ctx.nextLabel();
    this.labels.push({
      name,
      ir: true,
      restore: () => m.block(null, [m.local.set(target, m.local.get(saved, i32)), bumpEpoch(m)]),
    });
    const inner = m.block(name, s.block.stmts.map((st) => this.stmt(st, rs)));
    this.labels.pop();
    return m.block(null, [
      m.local.set(saved, m.local.get(target, i32)),
      m.local.set(target, replace),
      bumpEpoch(m),
      inner,
      m.local.set(target, m.local.get(saved, i32)),
      bumpEpoch(m),
    ]);
  }

  private callStmt(s: Extract<ir.Stmt, { kind: "Call" }>, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    const callee = this.ctx.resolveCall(s.func);
    if (callee.kind === "print") return this.print(s, loc);
    if (callee.arity !== null && callee.arity !== s.args.length) {
      throw this.error(`${s.func} takes ${callee.arity} arguments, the call passes ${s.args.length}`, loc);
    }
    const args = s.args.map((a) => this.read(a, loc));
    let call: Expr;
    switch (callee.kind) {
      case "func":
        call = m.call(callee.name, args, i32);
        break;
      case "runtime":
        call = m.call(callee.name, args, i32);
        break;
      case "host":
        if (args.length > MAX_HOST_ARITY) {
          throw this.error(`host built-in ${s.func} takes ${args.length} arguments; at most ${MAX_HOST_ARITY} are supported`, loc);
        }
        // Through the runtime, which records the operands for the host to read exactly (host-call.ts).
        call = this.call(HOST_CALLS[args.length]!, [m.i32.const(callee.id), ...args]);
        break;
    }
    const isUndefined = m.i32.eqz(m.local.tee(this.local(s.result), call, i32));
    if (callee.kind !== "runtime") return this.undefinedIf(isUndefined, loc);
    // an in-Wasm built-in returns 0 both when undefined and when it failed; the
    // check aborts with the built-in's error (strict mode) and returns otherwise
    const file = this.fileText(loc);
    return m.if(
      isUndefined,
      m.block(null, [
        this.call("capgate_builtin_check", [m.i32.const(file.addr), m.i32.const(file.len), m.i32.const(loc.row), m.i32.const(loc.col)], NONE),
        m.br(this.irLabel(0, loc)),
      ]),
    );
  }

  private fileText(loc: ir.StmtLocation): { addr: number; len: number } {
    const file = this.ctx.policy.static.files[loc.file];
    if (file === undefined) throw this.error(`file index ${loc.file} is out of range`, loc);
    return this.ctx.data.text(file);
  }

  /**
   * print(a1, ...): the planner passes one array holding, per argument, the set
   * of its values. The runtime prints `file:row: ` and the values, `<undefined>`
   * for an argument without values (a 0 element); the call is true.
   */
  private print(s: Extract<ir.Stmt, { kind: "Call" }>, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    if (s.args.length !== 1) throw this.error(`${PRINT} takes 1 argument, the call passes ${s.args.length}`, loc);
    const [arr, out, n, i, set, k, j] = [this.scratch(), this.scratch(), this.scratch(), this.scratch(), this.scratch(), this.scratch(), this.scratch()];
    const get = (l: number) => m.local.get(l, i32);
    const outer = this.ctx.nextLabel();
    const outerLoop = this.ctx.nextLabel();
    const inner = this.ctx.nextLabel();
    const innerLoop = this.ctx.nextLabel();
    const file = this.fileText(loc);
    const append = (v: Expr) => this.call("capgate_array_append", [get(out), v], NONE);
    return m.block(null, [
      m.local.set(arr, this.read(s.args[0]!, loc)),
      m.local.set(n, this.call("capgate_iter_count", [get(arr)])),
      m.local.set(out, this.call("capgate_array", [get(n)])),
      m.local.set(i, m.i32.const(0)),
      m.block(outer, [
        m.loop(
          outerLoop,
          m.block(null, [
            m.br(outer, m.i32.ge_s(get(i), get(n))),
            m.local.set(set, this.call("capgate_iter_value", [get(arr), get(i)])),
            m.local.set(k, this.call("capgate_iter_count", [get(set)])),
            m.if(m.i32.eqz(get(k)), append(m.i32.const(0))),
            m.local.set(j, m.i32.const(0)),
            m.block(inner, [
              m.loop(
                innerLoop,
                m.block(null, [
                  m.br(inner, m.i32.ge_s(get(j), get(k))),
                  append(this.call("capgate_iter_value", [get(set), get(j)])),
                  m.local.set(j, m.i32.add(get(j), m.i32.const(1))),
                  m.br(innerLoop),
                ]),
              ),
            ]),
            m.local.set(i, m.i32.add(get(i), m.i32.const(1))),
            m.br(outerLoop),
          ]),
        ),
      ]),
      this.call("capgate_print", [m.i32.const(file.addr), m.i32.const(file.len), m.i32.const(loc.row), get(out)], NONE),
      this.set(s.result, m.i32.const(this.ctx.data.boolValue(true))),
    ]);
  }

  /** Calls the planned function whose data path equals the run-time path, if any. */
  private callDynamic(s: Extract<ir.Stmt, { kind: "CallDynamic" }>, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    const done = this.ctx.nextLabel();
    const candidates: Expr[] = [];
    for (const f of this.ctx.pathFuncs) {
      if (f.path.length !== s.path.length || f.arity !== s.args.length) continue;
      const skip = this.ctx.nextLabel();
      const checks: Expr[] = [];
      let possible = true;
      s.path.forEach((op, i) => {
        const seg = f.path[i]!;
        if (op.kind === "string") {
          if (this.string(op.index, loc) !== seg) possible = false;
        } else if (op.kind === "bool") {
          possible = false;
        } else {
          checks.push(
            m.br(skip, m.i32.eqz(this.call("capgate_value_equal", [this.read(op, loc), m.i32.const(this.ctx.data.stringValue(seg))]))),
          );
        }
      });
      if (!possible) continue;
      candidates.push(
        m.block(skip, [
          ...checks,
          m.local.set(this.local(s.result), m.call(f.wasmName, s.args.map((a) => this.get(a)), i32)),
          m.br(done),
        ]),
      );
    }
    return m.block(null, [
      m.block(done, [...candidates, m.local.set(this.local(s.result), m.i32.const(0))]),
      this.undefinedIf(m.i32.eqz(this.get(s.result)), loc),
    ]);
  }

  private runtimeError(kind: number, loc: ir.StmtLocation): Expr {
    const m = this.ctx.m;
    const t = this.fileText(loc);
    return m.block(null, [
      this.call(
        "capgate_runtime_error",
        [m.i32.const(t.addr), m.i32.const(t.len), m.i32.const(loc.row), m.i32.const(loc.col), m.i32.const(kind)],
        NONE,
      ),
      m.unreachable(),
    ]);
  }

  error(message: string, loc: ir.StmtLocation): CapgateError {
    const file = this.ctx.policy.static.files[loc.file] ?? `<file ${loc.file}>`;
    return new CapgateError("wasm_emit_error", message, { location: { file, row: loc.row, col: loc.col } });
  }
}

/** AssignVarOnce's conflict message: functions, rules and queries word it differently (as OPA does). */
export function assignConflictKind(kind: "func" | "rule" | "plan"): number {
  return kind === "func" ? RUNTIME_ERROR_KIND.functionConflict : kind === "rule" ? RUNTIME_ERROR_KIND.completeRuleConflict : RUNTIME_ERROR_KIND.varAssignConflict;
}

function local(l: ir.Local): ir.Operand {
  return { kind: "local", local: l };
}

function sameOperand(a: ir.Operand, b: ir.Operand): boolean {
  if (a.kind === "local" && b.kind === "local") return a.local === b.local;
  if (a.kind === "string" && b.kind === "string") return a.index === b.index;
  if (a.kind === "bool" && b.kind === "bool") return a.value === b.value;
  return false;
}
