// TEST SUPPORT ONLY: a small reference interpreter for capgate's IR, used to
// check the planner's output before (and, later, against) the Wasm emitter. The
// product path is ir.Policy → emit() → Wasm → @open-policy-agent/opa-wasm; this
// file is one side of a future differential test, not an evaluator to ship.
//
// Semantics it fixes where ir/types.ts leaves room (the emitter must match):
// - a Block statement, Scan and With are always defined: the statement after
//   them runs whatever their blocks did; `Break n` leaves n+1 enclosing blocks;
// - With replaces the value at the path in a copy, so other locals holding the
//   old document are not changed;
// - relation built-ins (`walk`) return an array of all their outputs.

import { CapgateError } from "../../src/errors.js";
import type * as ir from "../../src/compiler/ir/types.js";
import { BUILTIN_IMPLS } from "./ir-builtins.js";
import { RObject, RSet, type V, equal, fromJSON, key } from "./values.js";

type Signal = { kind: "undef" } | { kind: "break"; n: number } | { kind: "return"; value: V | undefined } | undefined;
const UNDEF: Signal = { kind: "undef" };

export interface EvalOptions {
  input?: unknown;
  data?: unknown;
  /** Receives each line that print() produces. */
  print?: (line: string) => void;
}

export class IrInterpreter {
  private readonly funcs = new Map<string, ir.Func>();

  constructor(private readonly policy: ir.Policy) {
    for (const f of policy.funcs) this.funcs.set(f.name, f);
  }

  /** Runs the plan and returns its result set (deduplicated, in insertion order). */
  evaluate(planName: string, opts: EvalOptions = {}): V[] {
    const plan = this.policy.plans.find((p) => p.name === planName);
    if (!plan) throw new Error(`no plan ${planName}`);
    const results = new Map<string, V>();
    const locals: Array<V | undefined> = [];
    locals[0] = opts.input === undefined ? undefined : fromJSON(opts.input);
    locals[1] = fromJSON(opts.data ?? {});
    const ctx: Ctx = { results, print: opts.print ?? (() => {}) };
    for (const b of plan.blocks) this.block(b, locals, ctx);
    return [...results.values()];
  }

  private call(f: ir.Func, args: Array<V | undefined>, ctx: Ctx): V | undefined {
    const locals: Array<V | undefined> = [];
    f.params.forEach((p, i) => (locals[p] = args[i]));
    for (const b of f.blocks) {
      const s = this.block(b, locals, ctx);
      if (s?.kind === "return") return s.value;
    }
    return undefined;
  }

  private block(b: ir.Block, locals: Array<V | undefined>, ctx: Ctx): Signal {
    for (const s of b.stmts) {
      const r = this.stmt(s, locals, ctx);
      if (r) return r;
    }
    return undefined;
  }

  /** A nested block's outcome as seen by the statement that ran it. */
  private nested(s: Signal): Signal {
    if (s?.kind === "break") return s.n === 0 ? undefined : { kind: "break", n: s.n - 1 };
    if (s?.kind === "return") return s;
    return undefined;
  }

  private stmt(s: ir.Stmt, L: Array<V | undefined>, ctx: Ctx): Signal {
    const op = (o: ir.Operand): V | undefined =>
      o.kind === "local" ? L[o.local] : o.kind === "bool" ? o.value : this.policy.static.strings[o.index]!;
    switch (s.kind) {
      case "ReturnLocal":
        return { kind: "return", value: L[s.source] };
      case "Call": {
        const args = s.args.map(op);
        const f = this.funcs.get(s.func);
        // A planned func's first operand is input, which may be absent; every other operand must be defined.
        if (args.some((a, i) => a === undefined && !(f && i === 0))) return UNDEF;
        let r: V | undefined;
        if (f) r = this.call(f, args, ctx);
        else {
          const impl = BUILTIN_IMPLS.get(s.func);
          if (!impl) throw new CapgateError("eval_builtin_error", `${s.func}: built-in not implemented by the IR interpreter`);
          r = impl(args as V[], ctx);
        }
        if (r === undefined) return UNDEF;
        L[s.result] = r;
        return undefined;
      }
      case "CallDynamic":
        throw new CapgateError("eval_internal_error", "CallDynamic is not supported by the IR interpreter");
      case "Block":
        for (const b of s.blocks) {
          const r = this.nested(this.block(b, L, ctx));
          if (r) return r;
        }
        return undefined;
      case "Break":
        return { kind: "break", n: s.index };
      case "Dot": {
        const src = op(s.source);
        const k = op(s.key);
        if (src === undefined || k === undefined) return UNDEF;
        const v = dot(src, k);
        if (v === undefined) return UNDEF;
        L[s.target] = v;
        return undefined;
      }
      case "Len": {
        const v = op(s.source);
        if (v === undefined) return UNDEF;
        const n = typeof v === "string" ? [...v].length : Array.isArray(v) ? v.length : v instanceof RObject || v instanceof RSet ? v.m.size : undefined;
        if (n === undefined) return UNDEF;
        L[s.target] = n;
        return undefined;
      }
      case "Scan": {
        const src = L[s.source];
        if (src === undefined) return undefined;
        const pairs: Array<[V, V]> = Array.isArray(src)
          ? src.map((v, i) => [i, v])
          : src instanceof RObject
            ? [...src.m.values()]
            : src instanceof RSet
              ? [...src.m.values()].map((v) => [v, v])
              : [];
        for (const [k, v] of pairs) {
          L[s.key] = k;
          L[s.value] = v;
          const r = this.nested(this.block(s.block, L, ctx));
          if (r) return r;
        }
        return undefined;
      }
      case "Not": {
        const r = this.block(s.block, L, ctx);
        if (r?.kind === "undef") return undefined;
        if (r?.kind === "break" && r.n > 0) return { kind: "break", n: r.n - 1 };
        if (r?.kind === "return") return r;
        return UNDEF;
      }
      case "AssignInt":
        L[s.target] = s.value;
        return undefined;
      case "AssignVar": {
        const v = op(s.source);
        if (v === undefined) return UNDEF;
        L[s.target] = v;
        return undefined;
      }
      case "AssignVarOnce": {
        const v = op(s.source);
        if (v === undefined) return UNDEF;
        const cur = L[s.target];
        if (cur !== undefined && !equal(cur, v)) {
          throw new CapgateError("eval_conflict_error", "complete rules must not produce multiple outputs");
        }
        L[s.target] = v;
        return undefined;
      }
      case "ResetLocal":
        L[s.target] = undefined;
        return undefined;
      case "MakeNull":
        L[s.target] = null;
        return undefined;
      case "MakeNumberInt":
        L[s.target] = Number(s.value);
        return undefined;
      case "MakeNumberRef":
        L[s.target] = Number(this.policy.static.strings[s.index]);
        return undefined;
      case "MakeArray":
        L[s.target] = [];
        return undefined;
      case "MakeObject":
        L[s.target] = new RObject();
        return undefined;
      case "MakeSet":
        L[s.target] = new RSet();
        return undefined;
      case "Equal":
      case "NotEqual": {
        const a = op(s.a);
        const b = op(s.b);
        if (a === undefined || b === undefined) return UNDEF;
        return equal(a, b) === (s.kind === "Equal") ? undefined : UNDEF;
      }
      case "IsArray":
        return Array.isArray(op(s.source)) ? undefined : UNDEF;
      case "IsObject":
        return op(s.source) instanceof RObject ? undefined : UNDEF;
      case "IsSet":
        return op(s.source) instanceof RSet ? undefined : UNDEF;
      case "IsDefined":
        return L[s.source] !== undefined ? undefined : UNDEF;
      case "IsUndefined":
        return L[s.source] === undefined ? undefined : UNDEF;
      case "ArrayAppend": {
        const v = op(s.value);
        const a = L[s.array];
        if (v === undefined || !Array.isArray(a)) return UNDEF;
        a.push(v);
        return undefined;
      }
      case "ObjectInsert":
      case "ObjectInsertOnce": {
        const k = op(s.key);
        const v = op(s.value);
        const o = L[s.object];
        if (k === undefined || v === undefined || !(o instanceof RObject)) return UNDEF;
        if (s.kind === "ObjectInsertOnce") {
          const cur = o.get(k);
          if (cur !== undefined && !equal(cur, v)) throw new CapgateError("eval_conflict_error", "object keys must be unique");
        }
        o.set(k, v);
        return undefined;
      }
      case "ObjectMerge": {
        const a = L[s.a];
        const b = L[s.b];
        if (a === undefined || b === undefined) return UNDEF;
        L[s.target] = merge(a, b);
        return undefined;
      }
      case "SetAdd": {
        const v = op(s.value);
        const set = L[s.set];
        if (v === undefined || !(set instanceof RSet)) return UNDEF;
        set.add(v);
        return undefined;
      }
      case "With": {
        const v = op(s.value);
        if (v === undefined) return UNDEF;
        const old = L[s.local];
        L[s.local] = upsert(old, s.path.map((i) => this.policy.static.strings[i]!), v);
        const r = this.nested(this.block(s.block, L, ctx));
        L[s.local] = old;
        return r;
      }
      case "Nop":
        return undefined;
      case "ResultSetAdd": {
        const v = L[s.value];
        if (v === undefined) return UNDEF;
        ctx.results.set(key(v), v);
        return undefined;
      }
    }
  }
}

export interface Ctx {
  results: Map<string, V>;
  print: (line: string) => void;
}

function dot(src: V, k: V): V | undefined {
  if (Array.isArray(src)) return typeof k === "number" && Number.isInteger(k) && k >= 0 && k < src.length ? src[k] : undefined;
  if (src instanceof RObject) return src.get(k);
  if (src instanceof RSet) return src.has(k) ? k : undefined;
  return undefined;
}

function merge(a: V, b: V): V {
  if (!(a instanceof RObject) || !(b instanceof RObject)) return a;
  const out = new RObject();
  for (const [k, v] of b.m.values()) out.set(k, v);
  for (const [k, v] of a.m.values()) {
    const other = b.get(k);
    out.set(k, other === undefined ? v : merge(v, other));
  }
  return out;
}

function upsert(doc: V | undefined, path: string[], value: V): V {
  if (path.length === 0) return value;
  const out = new RObject();
  if (doc instanceof RObject) for (const [k, v] of doc.m.values()) out.set(k, v);
  out.set(path[0]!, upsert(doc instanceof RObject ? doc.get(path[0]!) : undefined, path.slice(1), value));
  return out;
}
