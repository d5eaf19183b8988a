// Test helper: builds IR policies by hand, from TypeScript or from the compact YAML
// form used by test/cases/wasm/. Operand shorthand: a number is a local, a string a
// string constant (interned), a boolean a boolean constant. Statements are written
// as `{Kind: {fields}}`; `loc: [row, col]` sets a location in file 0. The pseudo
// statement `{Result: local}` adds {"result": local} to the result set, as the
// planner does for an entrypoint.
import type * as ir from "../../src/compiler/ir/types.js";

export type OperandLike = number | string | boolean;
export type StmtLike = Record<string, unknown>;
export type BlockLike = StmtLike[];

export interface FuncLike {
  name: string;
  params: number[];
  return: number;
  blocks: BlockLike[];
  path?: string[];
}

export interface PolicyLike {
  /** Entrypoint name → its blocks. */
  plans: Record<string, BlockLike[]>;
  funcs?: FuncLike[];
  files?: string[];
  host_builtins?: { name: string; arity: number }[];
}

/** Fields holding a Local (a number) rather than an operand. */
const LOCAL_FIELDS = new Set(["target", "result", "array", "object", "set", "local", "return"]);
/** Fields holding an operand. */
const OPERAND_FIELDS = new Set(["a", "b", "key", "value", "source"]);
/** Statements whose `source`/`key`/`value` are locals, not operands. */
const LOCAL_SOURCE_KINDS = new Set(["ReturnLocal", "Scan", "IsDefined", "IsUndefined", "ResultSetAdd", "ObjectMerge", "AssignInt"]);

export class PolicyBuilder {
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();

  constructor(private readonly files: string[] = ["policy.rego"]) {}

  str(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  operand(o: OperandLike): ir.Operand {
    if (typeof o === "number") return { kind: "local", local: o };
    if (typeof o === "string") return { kind: "string", index: this.str(o) };
    return { kind: "bool", value: o };
  }

  block(stmts: BlockLike): ir.Block {
    return { stmts: stmts.flatMap((s) => this.stmt(s)) };
  }

  stmt(s: StmtLike): ir.Stmt[] {
    const entries = Object.entries(s).filter(([k]) => k !== "loc");
    if (entries.length !== 1) throw new Error(`a statement has one kind: ${JSON.stringify(s)}`);
    const [kind, rawFields] = entries[0]!;
    const at = s["loc"] as [number, number] | undefined;
    const loc: ir.StmtLocation = { file: 0, row: at?.[0] ?? 1, col: at?.[1] ?? 1 };
    if (kind === "Result") {
      const v = rawFields as number;
      const obj = 1000 + v; // a local the test policies never use otherwise
      return [
        { kind: "MakeObject", target: obj, loc },
        { kind: "ObjectInsert", key: this.operand("result"), value: this.operand(v), object: obj, loc },
        { kind: "ResultSetAdd", value: obj, loc },
      ];
    }
    const fields = (rawFields ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = { kind, loc };
    for (const [name, v] of Object.entries(fields)) {
      if (name === "block") out[name] = this.block(v as BlockLike);
      else if (name === "blocks") out[name] = (v as BlockLike[]).map((b) => this.block(b));
      else if (name === "path" && kind === "With") out[name] = (v as string[]).map((p) => this.str(p));
      else if (name === "path") out[name] = (v as OperandLike[]).map((p) => this.operand(p));
      else if (name === "args" && kind === "CallDynamic") out[name] = v;
      else if (name === "args") out[name] = (v as OperandLike[]).map((a) => this.operand(a));
      else if (kind === "MakeNumberInt" && name === "value") out[name] = BigInt(v as number | string);
      else if (kind === "MakeNumberRef" && name === "value") out["index"] = this.str(String(v));
      else if (LOCAL_SOURCE_KINDS.has(kind) || LOCAL_FIELDS.has(name) || !OPERAND_FIELDS.has(name)) out[name] = v;
      else out[name] = this.operand(v as OperandLike);
    }
    return [out as unknown as ir.Stmt];
  }

  build(p: PolicyLike): ir.Policy {
    const funcs: ir.Func[] = (p.funcs ?? []).map((f) => ({
      name: f.name,
      params: f.params,
      return: f.return,
      blocks: f.blocks.map((b) => this.block(b)),
      ...(f.path ? { path: f.path } : {}),
    }));
    const plans: ir.Plan[] = Object.entries(p.plans).map(([name, blocks]) => ({
      name,
      blocks: blocks.map((b) => this.block(b)),
    }));
    return {
      static: { strings: this.strings, builtinFuncs: p.host_builtins ?? [], files: p.files ?? this.files },
      plans,
      funcs,
    };
  }
}

/** Builds a policy from its compact form. */
export function buildPolicy(p: PolicyLike): ir.Policy {
  return new PolicyBuilder(p.files).build(p);
}
