// Bodies, expressions, unification, terms and refs, planned in
// continuation-passing style: each step appends statements to the current
// block and calls its continuation where the rest of the body goes, so
// iteration (Scan) nests the rest inside its block. Calls into rule sets are
// the rule planner's (planner.ts), declared here as abstract.
import { CapgateError } from "../../errors.js";
import type * as ast from "../ast/types.js";
import { isGround, isGroundLiteral, refName } from "../ast/builders.js";
import * as ir from "../ir/types.js";
import { termString } from "../ast/print.js";
import { BUILTINS } from "../ast/builtin-decls.js";
import type { RuleSet, RuleTreeNode } from "../ast/compiled-policy.js";
import { ruleSetKey } from "../ast/compiled-policy.js";
import { PlannerState, type K, type KOp, type Mock } from "./planner-state.js";

const FALSE: ir.Operand = { kind: "bool", value: false };
const TRUE: ir.Operand = { kind: "bool", value: true };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export abstract class ExprPlanner extends PlannerState {
  /** The func planned for a rule set (planning it on first use), and the mock values it takes. */
  protected abstract funcName(set: RuleSet): { name: string; mockArgs: ir.Operand[] };
  /** Calls a rule set's func (or its mock) and continues with the value. */
  protected abstract callRuleSet(set: RuleSet, k: KOp): void;

  /** The value a mock gives where its target is read as a document. */
  protected planMock(mock: Mock, k: KOp): void {
    switch (mock.kind) {
      case "const":
        return this.planTerm(mock.term, k);
      case "local":
        return k({ kind: "local", local: mock.local });
      case "func": {
        // A function read as a document: only a 0-ary user function has a value.
        const set = mock.name.startsWith("data.") ? this.compiled.ruleSets.get(ruleSetKey(mock.name.split(".").slice(1))) : undefined;
        if (set && (set.arity ?? 0) === 0) return this.callRuleSet(set, k);
        return;
      }
    }
  }

  // ------------------------------------------------------------ bodies and expressions

  planBody(body: ast.Body, i: number, k: K): void {
    if (i >= body.length) return k();
    this.planExpr(body[i]!, () => this.planBody(body, i + 1, k));
  }

  protected planExpr(e: ast.Expr, k: K): void {
    const prevLoc = this.loc;
    this.loc = e.location;
    const cont = (): void => {
      const here = this.loc;
      this.loc = prevLoc;
      k();
      this.loc = here;
    };
    if (e.with.length > 0) return this.planWith(e, cont);
    if (e.negated) return this.planNot(e, cont);
    switch (e.kind) {
      case "some":
        return cont();
      case "every":
        return this.planEvery(e, cont);
      case "term":
        if (e.term.value.kind === "boolean" && e.term.value.value) return cont();
        return this.planTerm(e.term, (op) => {
          this.emit({ kind: "NotEqual", a: op, b: FALSE });
          cont();
        });
      case "call":
        return this.planCallExpr(e.operator, e.args, cont);
    }
  }

  /** `not e`: a flag set inside a nested block when e has a solution; true when it stayed false. */
  protected planNot(e: ast.Expr, k: K): void {
    const found = this.newLocal();
    this.emit({ kind: "AssignVar", source: FALSE, target: found });
    const inner = this.block(() =>
      this.planExpr({ ...e, negated: false }, () => this.emit({ kind: "AssignVar", source: TRUE, target: found })),
    );
    this.emit({ kind: "Block", blocks: [inner] });
    this.emit({ kind: "Equal", a: { kind: "local", local: found }, b: FALSE });
    k();
  }

  /** `every k, v in xs { body }`: true when no element makes the body undefined. */
  protected planEvery(e: ast.Expr & { kind: "every" }, k: K): void {
    this.planTerm(e.domain, (d) => {
      const dl = this.local(d);
      // A domain that is not a collection makes `every` false, not vacuously
      // true (OPA since v0.65: topdown/eval.go evalEvery, issue #6762).
      const iterable = this.newLocal();
      this.emit({ kind: "AssignVar", source: FALSE, target: iterable });
      const kinds = (["IsArray", "IsObject", "IsSet"] as const).map((kind) =>
        this.block(() => {
          this.emit({ kind, source: { kind: "local", local: dl } });
          this.emit({ kind: "AssignVar", source: TRUE, target: iterable });
        }),
      );
      this.emit({ kind: "Block", blocks: kinds });
      this.emit({ kind: "Equal", a: { kind: "local", local: iterable }, b: TRUE });
      const failed = this.newLocal();
      this.emit({ kind: "AssignVar", source: FALSE, target: failed });
      const outer = this.block(() => {
        const kl = this.newLocal();
        const vl = this.newLocal();
        const scan = this.block(() =>
          this.unifyLocal(e.key ?? { value: { kind: "var", name: "$every_key" }, location: e.location }, kl, () =>
            this.unifyLocal(e.value, vl, () => {
              const ok = this.newLocal();
              this.emit({ kind: "AssignVar", source: FALSE, target: ok });
              const body = this.block(() => this.planBody(e.body, 0, () => this.emit({ kind: "AssignVar", source: TRUE, target: ok })));
              this.emit({ kind: "Block", blocks: [body] });
              this.emit({ kind: "Equal", a: { kind: "local", local: ok }, b: FALSE });
              this.emit({ kind: "AssignVar", source: TRUE, target: failed });
            }),
          ),
        );
        this.emit({ kind: "Scan", source: dl, key: kl, value: vl, block: scan });
      });
      this.emit({ kind: "Block", blocks: [outer] });
      this.emit({ kind: "Equal", a: { kind: "local", local: failed }, b: FALSE });
      k();
    });
  }

  /** `e with t as v`: the values are planned first; the expression runs inside With blocks. */
  protected planWith(e: ast.Expr, k: K): void {
    const docs = e.with.filter((w) => {
      const root = w.target.value.kind === "ref" ? w.target.value.terms[0] : w.target;
      const n = root?.value.kind === "var" ? root.value.name : undefined;
      const name = refName(w.target);
      return (n === "input" || n === "data") && !(name !== undefined && (this.isFunctionName(name) || this.isRuleSetName(name)));
    });
    // Replacements of functions and rule documents. A constant or a function name is
    // kept as is (and reaches called rules through a func variant); any other value
    // is computed here, before the `with` applies, and travels as a local.
    const fixed: [string, Mock][] = [];
    const dynamic: [string, ast.Term][] = [];
    for (const w of e.with.filter((x) => !docs.includes(x))) {
      const key = refName(w.target);
      if (key === undefined) this.compileError("with target must be input, data or a function name", w.location);
      const vname = refName(w.value);
      if (this.isFunctionName(key) && vname !== undefined && this.isFunctionName(vname)) {
        this.checkReplacementArity(key, vname, w.location);
        fixed.push([key, { kind: "func", name: vname }]);
      } else if (isGroundLiteral(w.value)) {
        fixed.push([key, { kind: "const", term: w.value }]);
      } else {
        dynamic.push([key, w.value]);
      }
    }
    this.planTerms(
      [...docs.map((w) => w.value), ...dynamic.map(([, v]) => v)],
      (allValues) => {
        const values = allValues.slice(0, docs.length);
        const mocks: [string, Mock][] = [
          ...fixed,
          ...dynamic.map(([key], i): [string, Mock] => [key, { kind: "local", local: this.local(allValues[docs.length + i]!) }]),
        ];
        const savedInput = this.f.input;
        const savedData = this.f.data;
        // Copies of the documents as they are now: With replaces the locals it targets in place.
        const origInput = this.newLocal();
        const origData = this.newLocal();
        this.emit({ kind: "ResetLocal", target: origInput });
        this.emit({ kind: "Block", blocks: [this.block(() => this.emit({ kind: "AssignVar", source: this.inputOp(), target: origInput }))] });
        this.emit({ kind: "AssignVar", source: this.dataOp(), target: origData });
        const inner = { ...e, with: [] as ast.With[] };
        const nest = (i: number): void => {
          if (i >= docs.length) {
            const prevMocks = this.f.mocks;
            this.f.mocks = new Map(prevMocks);
            for (const [key, m] of mocks) this.f.mocks.set(key, m);
            this.planExpr(inner, () => {
              // The rest of the body sees the documents as they were before `with`.
              const mocked = this.f.mocks;
              const inL = this.f.input;
              const dataL = this.f.data;
              this.f.mocks = prevMocks;
              this.f.input = origInput;
              this.f.data = origData;
              k();
              this.f.mocks = mocked;
              this.f.input = inL;
              this.f.data = dataL;
            });
            this.f.mocks = prevMocks;
            return;
          }
          const w = docs[i]!;
          const terms = w.target.value.kind === "ref" ? w.target.value.terms : [w.target];
          const root = terms[0]!.value.kind === "var" ? terms[0]!.value.name : "input";
          const path = terms.slice(1).map((t) => {
            if (t.value.kind !== "string") this.fail("with target path must be made of strings");
            return (this.str(t.value.value) as { index: number }).index;
          });
          const target = root === "input" ? this.f.input : this.f.data;
          const block = this.block(() => nest(i + 1));
          this.emit({ kind: "With", local: target, path, value: values[i]!, block });
        };
        nest(0);
        this.f.input = savedInput;
        this.f.data = savedData;
      },
    );
  }

  /**
   * `data.a.b` names a rule set or a package exactly (or is `data` itself): `with`
   * replaces its whole document (rules included) like a mock, so rules reading it
   * see the new value.
   */
  protected isRuleSetName(name: string): boolean {
    if (name === "data") return true;
    if (!name.startsWith("data.")) return false;
    let node: RuleTreeNode | undefined = this.compiled.ruleTree;
    for (const key of name.split(".").slice(1)) {
      node = node.children.get(key);
      if (!node) return false;
    }
    return true;
  }

  /** `with f as g`: g is called with f's arguments, so it must take as many. */
  protected checkReplacementArity(target: string, replacement: string, loc: ast.Location): void {
    const a = this.arityOf(target);
    const b = this.arityOf(replacement);
    if (a !== undefined && b !== undefined && a !== b) {
      this.compileError(`with: ${replacement} takes ${b} argument(s) but ${target} takes ${a}`, loc);
    }
  }

  protected compileError(message: string, loc: ast.Location): never {
    throw new CapgateError("rego_compile_error", message, { location: loc });
  }

  protected isFunctionName(name: string): boolean {
    if (name.startsWith("data.")) return this.compiled.ruleSets.get(ruleSetKey(name.split(".").slice(1)))?.kind === "function";
    return BUILTINS.has(name);
  }

  protected planCallExpr(operator: ast.Term, args: ast.Term[], k: K): void {
    const name = refName(operator);
    if (name === undefined) this.fail("call operator must be a name");
    if (!this.f.mocks.has(name)) {
      if (name === "eq" && args.length === 2) return this.planUnify(args[0]!, args[1]!, k);
      if ((name === "equal" || name === "neq") && args.length === 2) {
        return this.planTerms(args, ([a, b]) => {
          this.emit({ kind: name === "equal" ? "Equal" : "NotEqual", a: a!, b: b! });
          k();
        });
      }
    }
    this.planCall(name, args, (result, hasOutput) => {
      if (!hasOutput) this.emit({ kind: "NotEqual", a: result, b: FALSE });
      k();
    });
  }

  /** Calls a built-in or user function; with an output argument, unifies it with the result. */
  protected planCall(name: string, args: ast.Term[], k: (result: ir.Operand, hasOutput: boolean) => void): void {
    const mock = this.f.mocks.get(name);
    let target = name;
    if (mock) {
      if (mock.kind === "func") {
        target = mock.name;
      } else {
        // A value replacement: every call returns it, once its arguments are
        // defined (OPA evaluates them: `count(input) with count as 1` needs input).
        const arity = this.arityOf(name) ?? args.length;
        const out = args.length > arity ? args[arity] : undefined;
        return this.planTerms(args.slice(0, arity), (ops) => {
          for (const op of ops) if (op.kind === "local") this.emit({ kind: "IsDefined", source: op.local });
          this.planMock(mock, (v) => {
            if (out) this.unifyLocal(out, this.local(v), () => k(v, true));
            else k(v, false);
          });
        });
      }
    }
    const arity = this.arityOf(target) ?? args.length;
    const inputs = args.slice(0, arity);
    const out = args.length > arity ? args[arity] : undefined;
    this.planTerms(inputs, (ops) => {
      const r = this.newLocal();
      if (target.startsWith("data.")) {
        const set = this.compiled.ruleSets.get(ruleSetKey(target.split(".").slice(1)));
        if (!set) this.fail(`undefined function ${target}`);
        // A replacement function that calls the function it replaces reaches the
        // original (as in OPA), so its own mock is not in effect inside it; nor
        // are the other built-in mocks: a mock never calls another mock.
        const mocks = this.f.mocks;
        if (target !== name) {
          this.f.mocks = new Map([...mocks].filter(([key]) => key !== name && (key === "input" || key === "data" || key.startsWith("data.") || !BUILTINS.has(key))));
        }
        let called: { name: string; mockArgs: ir.Operand[] };
        try {
          called = this.funcName(set);
        } finally {
          this.f.mocks = mocks;
        }
        const { name: fn, mockArgs } = called;
        this.emit({ kind: "Call", func: fn, args: [this.inputOp(), this.dataOp(), ...ops, ...mockArgs], result: r });
      } else {
        this.builtinsUsed.set(target, arity);
        this.emit({ kind: "Call", func: target, args: ops, result: r });
      }
      const rop: ir.Operand = { kind: "local", local: r };
      if (BUILTINS.get(target)?.relation) {
        // Relations return every output as an array; iterate over them.
        const kl = this.newLocal();
        const vl = this.newLocal();
        const block = this.block(() => {
          const vo: ir.Operand = { kind: "local", local: vl };
          if (out) this.unifyLocal(out, vl, () => k(vo, true));
          else k(vo, true);
        });
        this.emit({ kind: "Scan", source: r, key: kl, value: vl, block });
        return;
      }
      if (out) this.unifyLocal(out, r, () => k(rop, true));
      else k(rop, false);
    });
  }

  protected arityOf(name: string): number | undefined {
    if (name.startsWith("data.")) return this.compiled.ruleSets.get(ruleSetKey(name.split(".").slice(1)))?.arity;
    return BUILTINS.get(name)?.arity;
  }

  // ------------------------------------------------------------ unification

  /** True when `t` has variables not yet bound outside refs and comprehensions (so it is a pattern). */
  protected hasUnbound(t: ast.Term): boolean {
    const v = t.value;
    switch (v.kind) {
      case "var":
        return !this.isBound(v.name);
      case "array":
      case "set":
        return v.items.some((x) => this.hasUnbound(x));
      case "object":
        return v.entries.some(([, x]) => this.hasUnbound(x));
      default:
        return false;
    }
  }

  protected planUnify(a: ast.Term, b: ast.Term, k: K): void {
    const av = a.value;
    const bv = b.value;
    if (av.kind === "var" && !this.isBound(av.name)) return this.planTerm(b, (op) => this.unifyLocal(a, this.local(op), k));
    if (bv.kind === "var" && !this.isBound(bv.name)) return this.planTerm(a, (op) => this.unifyLocal(b, this.local(op), k));
    if (av.kind === "array" && bv.kind === "array") {
      if (av.items.length !== bv.items.length) return; // never unifies: the rest of the body is unreachable
      return this.planPairs(av.items.map((x, i) => [x, bv.items[i]!] as const), k);
    }
    if (av.kind === "object" && bv.kind === "object" && [...av.entries, ...bv.entries].every(([key]) => isGround(key))) {
      const byKey = new Map(bv.entries.map(([key, x]) => [termString(key), x]));
      const pairs = av.entries.map(([key, x]) => [x, byKey.get(termString(key))] as const);
      if (av.entries.length !== bv.entries.length || pairs.some(([, y]) => y === undefined)) return; // never unifies
      return this.planPairs(pairs as Array<readonly [ast.Term, ast.Term]>, k);
    }
    if (this.hasUnbound(a)) return this.planTerm(b, (op) => this.unifyLocal(a, this.local(op), k));
    if (this.hasUnbound(b)) return this.planTerm(a, (op) => this.unifyLocal(b, this.local(op), k));
    this.planTerm(a, (oa) =>
      this.planTerm(b, (ob) => {
        this.emit({ kind: "Equal", a: oa, b: ob });
        k();
      }),
    );
  }

  /**
   * Unifies collections element by element, each time taking a pair one side
   * of which is fully bound, so that `[x, 1] = [y, x]` binds x before y, as
   * OPA's unification does in any order.
   */
  private planPairs(pairs: ReadonlyArray<readonly [ast.Term, ast.Term]>, k: K): void {
    if (pairs.length === 0) return k();
    let i = pairs.findIndex(([a, b]) => !this.hasUnbound(a) || !this.hasUnbound(b));
    if (i < 0) i = 0;
    const [a, b] = pairs[i]!;
    const rest = pairs.filter((_, j) => j !== i);
    this.planUnify(a, b, () => this.planPairs(rest, k));
  }

  /** Unifies the pattern `t` with the value in `l`, binding t's unbound vars. */
  protected unifyLocal(t: ast.Term, l: ir.Local, k: K): void {
    const v = t.value;
    const lop: ir.Operand = { kind: "local", local: l };
    if (v.kind === "var") {
      if (this.isBound(v.name)) {
        this.emit({ kind: "Equal", a: this.termVarOp(v.name), b: lop });
        return k();
      }
      this.emit({ kind: "AssignVar", source: lop, target: this.varLocal(v.name) });
      return this.bind(v.name, k);
    }
    if (v.kind === "array" && this.hasUnbound(t)) {
      this.emit({ kind: "IsArray", source: lop });
      const n = this.newLocal();
      this.emit({ kind: "Len", source: lop, target: n });
      const want = this.newLocal();
      this.emit({ kind: "MakeNumberInt", value: BigInt(v.items.length), target: want });
      this.emit({ kind: "Equal", a: { kind: "local", local: n }, b: { kind: "local", local: want } });
      const step = (i: number): void => {
        if (i >= v.items.length) return k();
        const idx = this.newLocal();
        this.emit({ kind: "MakeNumberInt", value: BigInt(i), target: idx });
        const el = this.newLocal();
        this.emit({ kind: "Dot", source: lop, key: { kind: "local", local: idx }, target: el });
        this.unifyLocal(v.items[i]!, el, () => step(i + 1));
      };
      return step(0);
    }
    if (v.kind === "object" && this.hasUnbound(t)) {
      this.emit({ kind: "IsObject", source: lop });
      const n = this.newLocal();
      this.emit({ kind: "Len", source: lop, target: n });
      const want = this.newLocal();
      this.emit({ kind: "MakeNumberInt", value: BigInt(v.entries.length), target: want });
      this.emit({ kind: "Equal", a: { kind: "local", local: n }, b: { kind: "local", local: want } });
      const step = (i: number): void => {
        if (i >= v.entries.length) return k();
        const [key, val] = v.entries[i]!;
        this.planTerm(key, (ko) => {
          const el = this.newLocal();
          this.emit({ kind: "Dot", source: lop, key: ko, target: el });
          this.unifyLocal(val, el, () => step(i + 1));
        });
      };
      return step(0);
    }
    this.planTerm(t, (op) => {
      this.emit({ kind: "Equal", a: op, b: lop });
      k();
    });
  }

  protected termVarOp(name: string): ir.Operand {
    if (name === "input") return this.inputOp();
    if (name === "data") return this.dataOp();
    return this.varOp(name);
  }

  // ------------------------------------------------------------ terms

  /**
   * Plans terms and passes their operands in order. A term that reads a var
   * only a later term's ref binds (`x == input.xs[x]`) waits for that term.
   */
  protected planTerms(ts: ast.Term[], k: (ops: ir.Operand[]) => void): void {
    const ops: Array<ir.Operand | undefined> = ts.map(() => undefined);
    const step = (left: number[]): void => {
      if (left.length === 0) return k(ops as ir.Operand[]);
      const i = left.find((j) => !this.readsUnbound(ts[j]!)) ?? left[0]!;
      this.planTerm(ts[i]!, (op) => {
        ops[i] = op;
        step(left.filter((j) => j !== i));
      });
    };
    step(ts.map((_, i) => i));
  }

  /** Whether evaluating `t` reads an unbound var (ref keys bind theirs; comprehensions are closed). */
  private readsUnbound(t: ast.Term): boolean {
    const v = t.value;
    switch (v.kind) {
      case "var":
        return !this.isBound(v.name);
      case "ref":
        return v.terms.some((x, i) => (i > 0 && x.value.kind === "var" ? false : this.readsUnbound(x)));
      case "array":
      case "set":
        return v.items.some((x) => this.readsUnbound(x));
      case "object":
        return v.entries.some(([a, b]) => this.readsUnbound(a) || this.readsUnbound(b));
      case "call":
        return v.args.some((x) => this.readsUnbound(x));
      default:
        return false;
    }
  }

  planTerm(t: ast.Term, k: KOp): void {
    const v = t.value;
    switch (v.kind) {
      case "null": {
        const l = this.newLocal();
        this.emit({ kind: "MakeNull", target: l });
        return k({ kind: "local", local: l });
      }
      case "boolean":
        return k({ kind: "bool", value: v.value });
      case "number":
        return k(this.number(v.text));
      case "string":
        return k(this.str(v.value));
      case "var":
        if (v.name === "data") return this.planRef([t], k);
        if (!this.isBound(v.name)) this.fail(`var ${v.name} is unbound`);
        return k(this.termVarOp(v.name));
      case "ref":
        return this.planRef(v.terms, k);
      case "array":
        return this.planTerms(v.items, (ops) => {
          const l = this.newLocal();
          this.emit({ kind: "MakeArray", capacity: ops.length, target: l });
          for (const op of ops) this.emit({ kind: "ArrayAppend", value: op, array: l });
          k({ kind: "local", local: l });
        });
      case "set":
        return this.planTerms(v.items, (ops) => {
          const l = this.newLocal();
          this.emit({ kind: "MakeSet", target: l });
          for (const op of ops) this.emit({ kind: "SetAdd", value: op, set: l });
          k({ kind: "local", local: l });
        });
      case "object":
        return this.planTerms(v.entries.flat(), (ops) => {
          const l = this.newLocal();
          this.emit({ kind: "MakeObject", target: l });
          for (let i = 0; i < ops.length; i += 2) this.emit({ kind: "ObjectInsert", key: ops[i]!, value: ops[i + 1]!, object: l });
          k({ kind: "local", local: l });
        });
      case "arraycomp":
      case "setcomp":
      case "objectcomp":
        return this.planComprehension(v, k);
      case "call": {
        const name = refName(v.operator);
        if (name === undefined) this.fail("call operator must be a name");
        return this.planCall(name, v.args, (r) => k(r));
      }
    }
  }

  protected number(text: string): ir.Operand {
    const l = this.newLocal();
    if (/^-?\d+$/.test(text)) {
      const n = BigInt(text);
      if (n >= INT64_MIN && n <= INT64_MAX) {
        this.emit({ kind: "MakeNumberInt", value: n, target: l });
        return { kind: "local", local: l };
      }
    }
    const idx = (this.str(text) as { index: number }).index;
    this.emit({ kind: "MakeNumberRef", index: idx, target: l });
    return { kind: "local", local: l };
  }

  protected planComprehension(v: ast.ArrayComprehension | ast.SetComprehension | ast.ObjectComprehension, k: KOp): void {
    const l = this.newLocal();
    this.emit({ kind: v.kind === "arraycomp" ? "MakeArray" : v.kind === "setcomp" ? "MakeSet" : "MakeObject", ...(v.kind === "arraycomp" ? { capacity: 0 } : {}), target: l } as ir.StmtBody);
    const block = this.block(() =>
      this.planBody(v.body, 0, () => {
        if (v.kind === "objectcomp") {
          this.planTerm(v.key, (ko) => this.planTerm(v.value, (vo) => this.emit({ kind: "ObjectInsertOnce", key: ko, value: vo, object: l })));
        } else {
          this.planTerm(v.term, (op) =>
            this.emit(v.kind === "arraycomp" ? { kind: "ArrayAppend", value: op, array: l } : { kind: "SetAdd", value: op, set: l }),
          );
        }
      }),
    );
    this.emit({ kind: "Block", blocks: [block] });
    k({ kind: "local", local: l });
  }

  // ------------------------------------------------------------ refs

  protected planRef(terms: ast.Term[], k: KOp): void {
    const head = terms[0]!;
    if (head.value.kind === "var") {
      const name = head.value.name;
      if (name === "data") return this.planDataRef(terms, k);
      if (!this.isBound(name)) this.fail(`var ${name} is unbound`);
      return this.planRefRest(this.local(this.termVarOp(name)), terms, 1, k);
    }
    this.planTerm(head, (op) => this.planRefRest(this.local(op), terms, 1, k));
  }

  protected planRefRest(src: ir.Local, terms: ast.Term[], i: number, k: KOp): void {
    if (i >= terms.length) return k({ kind: "local", local: src });
    const key = terms[i]!;
    const kv = key.value;
    if (kv.kind === "var" && !this.isBound(kv.name)) {
      const kl = this.varLocal(kv.name);
      const vl = this.newLocal();
      const block = this.block(() => this.bind(kv.name, () => this.planRefRest(vl, terms, i + 1, k)));
      this.emit({ kind: "Scan", source: src, key: kl, value: vl, block });
      return;
    }
    if (this.hasUnbound(key)) {
      const kl = this.newLocal();
      const vl = this.newLocal();
      const block = this.block(() => this.unifyLocal(key, kl, () => this.planRefRest(vl, terms, i + 1, k)));
      this.emit({ kind: "Scan", source: src, key: kl, value: vl, block });
      return;
    }
    this.planTerm(key, (op) => {
      const t = this.newLocal();
      this.emit({ kind: "Dot", source: { kind: "local", local: src }, key: op, target: t });
      this.planRefRest(t, terms, i + 1, k);
    });
  }

  /** `data.a.b...`: walk the rule tree; call rule funcs, read base data, or build a whole subtree. */
  protected planDataRef(terms: ast.Term[], k: KOp): void {
    let node: RuleTreeNode = this.compiled.ruleTree;
    let i = 1;
    for (;;) {
      const mock = this.f.mocks.get(mockKeyOf(node));
      if (mock) return this.planMock(mock, (op) => this.planRefRest(this.local(op), terms, i, k));
      const set = node.ruleSet;
      if (set) {
        if (set.kind === "function" && set.arity !== 0) return; // a function is not a value: undefined
        return this.callRuleSet(set, (op) => this.planRefRest(this.local(op), terms, i, k));
      }
      if (i >= terms.length) return this.materialize(node, k);
      let key = terms[i]!;
      // While the ref walks the document tree, a number names the key of that text (`data[1]`).
      if (key.value.kind === "number") {
        key = { ...key, value: { kind: "string", value: key.value.text } };
        terms = [...terms.slice(0, i), key, ...terms.slice(i + 1)];
      }
      if (key.value.kind === "string") {
        const child = node.children.get(key.value.value);
        if (child) {
          node = child;
          i++;
          continue;
        }
        return this.planRefRest(this.baseData(node.path), terms, i, k);
      }
      return this.materialize(node, (op) => this.planRefRest(this.local(op), terms, i, k), terms.slice(i));
    }
  }

  /** The base document at `path` (undefined where data has nothing there). */
  protected baseData(path: string[]): ir.Local {
    let cur = this.f.data;
    for (const p of path) {
      const t = this.newLocal();
      this.emit({ kind: "Dot", source: { kind: "local", local: cur }, key: this.str(p), target: t });
      cur = t;
    }
    return cur;
  }

  /**
   * The whole document at a rule tree node: base data merged with every rule
   * set below. With `rest`, the keys the ref will still apply (`data[x].a.b`),
   * rule sets the ref cannot reach are left out (their place holds only base
   * data, which the ref may still read): as OPA plans only the rules a dynamic
   * ref can match, so `p := data[x].a.b` is not its own dependency.
   */
  protected materialize(node: RuleTreeNode, k: KOp, rest?: ast.Term[]): void {
    const mock = this.f.mocks.get(mockKeyOf(node));
    if (mock) return this.planMock(mock, k);
    if (node.ruleSet) {
      if (node.ruleSet.kind === "function" && node.ruleSet.arity !== 0) return;
      return this.callRuleSet(node.ruleSet, k);
    }
    const obj = this.newLocal();
    this.emit({ kind: "MakeObject", target: obj });
    for (const child of node.children.values()) {
      if (child.ruleSet?.kind === "function" && child.ruleSet.arity !== 0) continue;
      const key = rest?.[0] === undefined ? undefined : treeKeyText(rest[0]);
      if (rest !== undefined && rest.length > 0 && ((key !== undefined && key !== child.key) || !reachable(child, rest.slice(1)))) continue;
      const b = this.block(() =>
        this.materialize(child, (v) => this.emit({ kind: "ObjectInsert", key: this.str(child.key), value: v, object: obj }), rest?.slice(1)),
      );
      this.emit({ kind: "Block", blocks: [b] });
    }
    const base = this.newLocal();
    this.emit({ kind: "ResetLocal", target: base });
    const getBase = this.block(() => {
      const l = this.baseData(node.path);
      this.emit({ kind: "IsObject", source: { kind: "local", local: l } });
      this.emit({ kind: "AssignVar", source: { kind: "local", local: l }, target: base });
    });
    const res = this.newLocal();
    this.emit({ kind: "AssignVar", source: { kind: "local", local: obj }, target: res });
    const merge = this.block(() => {
      this.emit({ kind: "IsDefined", source: base });
      this.emit({ kind: "ObjectMerge", a: obj, b: base, target: res });
    });
    this.emit({ kind: "Block", blocks: [getBase, merge] });
    k({ kind: "local", local: res });
  }
}

/** A ref key as a rule tree key: strings, and numbers by their text; undefined for any other term. */
function treeKeyText(t: ast.Term): string | undefined {
  if (t.value.kind === "string") return t.value.value;
  if (t.value.kind === "number") return t.value.text;
  return undefined;
}

/** Whether a rule set lies on a path the keys `rest` can take below `node` (or holds it). */
function reachable(node: RuleTreeNode, rest: ast.Term[]): boolean {
  if (node.ruleSet || rest.length === 0) return true;
  const key = treeKeyText(rest[0]!);
  if (key !== undefined) {
    const child = node.children.get(key);
    return child !== undefined && reachable(child, rest.slice(1));
  }
  for (const child of node.children.values()) if (reachable(child, rest.slice(1))) return true;
  return false;
}

/** The mock key of a rule tree node: the name a `with` target gives it. */
function mockKeyOf(node: RuleTreeNode): string {
  return node.path.length > 0 ? `data.${node.path.join(".")}` : "data";
}

