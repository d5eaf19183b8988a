// The planner: turns the compiled rules and queries into IR, in the model of
// OPA's internal/planner. Bodies are planned in continuation-passing style: each
// expression appends its statements to the current block and calls the
// continuation where the rest of the body goes, so iteration (Scan) nests the
// rest of the body inside its block. Rule sets become funcs (`g0.data.a.b`)
// planned on first use; refs into data walk the rule tree, calling rule funcs
// and reading base data, and merge both where a ref needs a whole subtree.
// `with` on input/data paths becomes With statements; `with` on a function or a
// rule's document becomes a mock that called rule sets see through func variants
// (run-time replacement values travel to them as extra trailing params).
//
// This file plans entry points, queries and rule sets; bodies, terms and refs
// are in expr-planner.ts, the shared state and emit helpers in planner-state.ts.

import { CapgateError } from "../../errors.js";
import type * as ast from "../ast/types.js";
import * as ir from "../ir/types.js";
import type { CompiledQuery, RuleSet, RuleTreeNode } from "../ast/compiled-policy.js";
import { ruleSetKey } from "../ast/compiled-policy.js";
import { ExprPlanner } from "./expr-planner.js";
import type { Frame, K, KOp, Mock } from "./planner-state.js";

export class Planner extends ExprPlanner {
  // ------------------------------------------------------------ entry points

  planPolicy(entrypoints: string[], queries: string[]): ir.Policy {
    const plans: ir.Plan[] = [];
    for (const ep of entrypoints) plans.push(this.planEntrypoint(ep));
    for (const name of queries) {
      const q = this.compiled.queries.find((x) => x.name === name);
      if (!q) throw new CapgateError("rego_plan_error", `no compiled query named ${JSON.stringify(name)}`);
      plans.push(this.planQueryPlan(q));
    }
    return {
      static: {
        strings: this.strings,
        builtinFuncs: [...this.builtinsUsed].map(([name, arity]) => ({ name, arity })),
        files: this.files,
      },
      plans,
      funcs: this.funcs,
    };
  }

  private newFrame(nparams: number): Frame {
    return {
      next: ir.FIRST_FREE_LOCAL + nparams,
      vars: new Map(),
      bound: new Set(),
      curr: [],
      depth: 0,
      input: ir.INPUT_LOCAL,
      data: ir.DATA_LOCAL,
      mocks: new Map(),
    };
  }

  private planEntrypoint(ep: string): ir.Plan {
    const path = ep.split("/").filter((s) => s.length > 0);
    if (!this.definesPath(path)) {
      throw new CapgateError("rego_plan_error", `entrypoint ${JSON.stringify(ep)} does not refer to a rule or package`);
    }
    const saved = this.f;
    this.f = this.newFrame(0);
    const loc = { file: "", row: 0, col: 0 };
    this.loc = loc;
    const terms: ast.Term[] = [
      { value: { kind: "var", name: "data" }, location: loc },
      ...path.map((p): ast.Term => ({ value: { kind: "string", value: p }, location: loc })),
    ];
    const block = this.block(() =>
      this.planRef(terms, (op) => {
        const r = this.newLocal();
        this.emit({ kind: "MakeObject", target: r });
        this.emit({ kind: "ObjectInsert", key: this.str("result"), value: op, object: r });
        this.emit({ kind: "ResultSetAdd", value: r });
      }),
    );
    this.f = saved;
    return { name: path.join("/"), blocks: [block] };
  }

  /** True when the policy defines something at `path`: a package, a rule, or a document a rule set builds. */
  private definesPath(path: string[]): boolean {
    let node: RuleTreeNode = this.compiled.ruleTree;
    for (const key of path) {
      if (node.ruleSet) return node.ruleSet.kind !== "function" || node.ruleSet.arity === 0;
      const child = node.children.get(key);
      if (!child) return false;
      node = child;
    }
    return !node.ruleSet || node.ruleSet.kind !== "function" || node.ruleSet.arity === 0;
  }

  private planQueryPlan(q: CompiledQuery): ir.Plan {
    const saved = this.f;
    this.f = this.newFrame(0);
    const block = this.block(() =>
      this.planBody(q.body, 0, () => {
        const r = this.newLocal();
        this.emit({ kind: "MakeObject", target: r });
        for (const v of q.vars) {
          if (!this.f.bound.has(v.rewritten)) continue;
          this.emit({ kind: "ObjectInsert", key: this.str(v.name), value: this.varOp(v.rewritten), object: r });
        }
        this.emit({ kind: "ResultSetAdd", value: r });
      }),
    );
    this.f = saved;
    return { name: q.name, blocks: [block] };
  }

  // ------------------------------------------------------------ rule sets

  /**
   * The func for a rule set. Under `with` mocks (replaced functions or virtual
   * documents) a rule set is planned again with the mocks in effect, as its own
   * variant (`g1.data.a.b`, ...), so the replacement reaches rules it calls.
   * Replacement values computed at run time are passed to the variant as extra
   * trailing arguments (`mockArgs`), in the order of their target names.
   */
  protected funcName(set: RuleSet): { name: string; mockArgs: ir.Operand[] } {
    const mocks = [...this.f.mocks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const mockArgs: ir.Operand[] = [];
    const parts = mocks.map(([k, m]) => {
      if (m.kind === "const") return `${k}=${JSON.stringify(constValue(m.term))}`;
      if (m.kind === "func") return `${k}=>${m.name}`;
      mockArgs.push({ kind: "local", local: m.local });
      return `${k}=#${mockArgs.length - 1}`;
    });
    const mockKey = parts.join(";");
    let variant = this.variants.get(mockKey);
    if (variant === undefined) {
      variant = this.variants.size;
      this.variants.set(mockKey, variant);
    }
    const key = `${ruleSetKey(set.path)}|${mockKey}`;
    let name = this.funcNames.get(key);
    if (name === undefined) {
      name = `g${variant}.data.${set.path.join(".")}`;
      this.funcNames.set(key, name);
      const saved = this.f;
      const savedLoc = this.loc;
      try {
        this.funcs.push(this.planRuleSet(set, name, mocks, mockArgs.length));
      } finally {
        this.f = saved;
        this.loc = savedLoc;
      }
    }
    return { name, mockArgs };
  }

  /** Plans a rule set's func; `mocks` in funcName's order, whose run-time values arrive as the last `nMockParams` params. */
  protected planRuleSet(set: RuleSet, name: string, mocks: [string, Mock][], nMockParams: number): ir.Func {
    const arity = set.kind === "function" ? (set.arity ?? 0) : 0;
    this.f = this.newFrame(arity + nMockParams);
    const args = Array.from({ length: arity }, (_, i) => ir.FIRST_FREE_LOCAL + i);
    const mockParams = Array.from({ length: nMockParams }, (_, i) => ir.FIRST_FREE_LOCAL + arity + i);
    let j = 0;
    for (const [k, m] of mocks) this.f.mocks.set(k, m.kind === "local" ? { kind: "local", local: mockParams[j++]! } : m);
    const params = [ir.INPUT_LOCAL, ir.DATA_LOCAL, ...args, ...mockParams];
    const ret = this.newLocal();
    const blocks: ir.Block[] = [];
    const first = set.rules[0] ?? set.default;
    if (first) this.loc = first.rule.location;

    if (set.kind === "partial-set") blocks.push(this.block(() => this.emit({ kind: "MakeSet", target: ret })));
    if (set.kind === "partial-object") blocks.push(this.block(() => this.emit({ kind: "MakeObject", target: ret })));

    for (const entry of set.rules) {
      blocks.push(this.block(() => this.planChain(set, entry.rule, args, ret)));
    }
    // After every rule: a keyed default fills only the keys no rule produced.
    for (const entry of set.keyedDefaults ?? []) {
      blocks.push(this.block(() => this.planKeyedDefault(set, entry.rule, ret)));
    }
    if (set.default) {
      const d = set.default.rule;
      blocks.push(
        this.block(() => {
          this.loc = d.location;
          this.emit({ kind: "IsUndefined", source: ret });
          this.planArgs(d.head.args ?? [], args, 0, () =>
            this.planTerm(d.head.value!, (op) => this.emit({ kind: "AssignVar", source: op, target: ret })),
          );
        }),
      );
    }
    blocks.push(this.block(() => this.emit({ kind: "ReturnLocal", source: ret })));
    const path = [name.slice(0, name.indexOf(".")), "data", ...set.path];
    return { name, params, return: ret, blocks, path, ...(nMockParams > 0 ? { mockParams: nMockParams } : {}) };
  }

  /** Plans a rule and its else chain: the first rule in the chain whose body and value are defined wins. */
  protected planChain(set: RuleSet, rule: ast.Rule, args: ir.Local[], ret: ir.Local): void {
    if (!rule.else) {
      // Early exit, as OPA does: once a rule whose value cannot vary has produced it,
      // further solutions of its body add nothing (and must not raise errors).
      const varying = set.kind === "partial-set" ? [rule.head.key] : [rule.head.value, ...rule.head.ref.slice(1 + set.path.length)];
      const constant = varying.every((t) => !t || !mentionsVars(t));
      this.planRuleBody(set, rule, args, ret, constant ? this.f.depth : undefined);
      return;
    }
    const chain: ast.Rule[] = [];
    for (let r: ast.Rule | undefined = rule; r; r = r.else) chain.push(r);
    const top = this.f.depth;
    const blocks = chain.map((r) => this.block(() => this.planRuleBody(set, r, args, ret, top)));
    this.emit({ kind: "Block", blocks });
  }

  protected planRuleBody(set: RuleSet, rule: ast.Rule, args: ir.Local[], ret: ir.Local, breakTo: number | undefined): void {
    this.loc = rule.location;
    const done = (): void => {
      if (breakTo !== undefined) this.emit({ kind: "Break", index: this.f.depth - breakTo });
    };
    this.planArgs(rule.head.args ?? [], args, 0, () =>
      this.planBody(rule.body, 0, () => {
        this.loc = rule.head.location;
        switch (set.kind) {
          case "complete":
          case "function":
            this.planTerm(rule.head.value!, (op) => {
              this.emit({ kind: "AssignVarOnce", source: op, target: ret });
              done();
            });
            break;
          case "partial-set":
            this.planTerm(rule.head.key!, (op) => {
              this.emit({ kind: "SetAdd", value: op, set: ret });
              done();
            });
            break;
          case "partial-object":
            this.planObjectInsert(rule.head.ref.slice(1 + set.path.length), rule.head, ret);
            if (rule.head.kind !== "multi") done();
            break;
        }
      }),
    );
  }

  protected planArgs(patterns: ast.Term[], locals: ir.Local[], i: number, k: K): void {
    if (i >= patterns.length) return k();
    this.unifyLocal(patterns[i]!, locals[i]!, () => this.planArgs(patterns, locals, i + 1, k));
  }

  /**
   * `a.b[x].c := v`: insert v at the path below the rule set's object, creating
   * objects on the way; `a.b[x] contains v` adds v to the set at the path.
   */
  protected planObjectInsert(path: ast.Term[], head: ast.Head, obj: ir.Local): void {
    const multi = head.kind === "multi";
    this.planTerms(path, (keys) =>
      this.planTerm(multi ? head.key! : head.value!, (v) => {
        let cur = obj;
        const inner = multi ? keys : keys.slice(0, -1);
        for (const [i, key] of inner.entries()) {
          const leafSet = multi && i === inner.length - 1;
          cur = this.ensureKey(cur, key, (t) => this.emit(leafSet ? { kind: "MakeSet", target: t } : { kind: "MakeObject", target: t }));
        }
        if (multi) this.emit({ kind: "SetAdd", value: v, set: cur });
        else this.emit({ kind: "ObjectInsertOnce", key: keys[keys.length - 1]!, value: v, object: cur });
      }),
    );
  }

  /** `default p[k] := v` in the partial object p: v at k (a constant path), unless a rule of p put a value there. */
  protected planKeyedDefault(set: RuleSet, rule: ast.Rule, obj: ir.Local): void {
    this.loc = rule.location;
    this.planTerms(rule.head.ref.slice(1 + set.path.length), (keys) =>
      this.planTerm(rule.head.value!, (v) => {
        let cur = obj;
        for (const key of keys.slice(0, -1)) cur = this.ensureKey(cur, key, (t) => this.emit({ kind: "MakeObject", target: t }));
        this.ensureKey(cur, keys[keys.length - 1]!, (t) => this.emit({ kind: "AssignVar", source: v, target: t }));
      }),
    );
  }

  /** The value at `key` of the object in `parent`; when there is none, `fill` makes one, which is inserted. */
  protected ensureKey(parent: ir.Local, key: ir.Operand, fill: (target: ir.Local) => void): ir.Local {
    const t = this.newLocal();
    this.emit({ kind: "ResetLocal", target: t });
    this.emit({ kind: "Block", blocks: [this.block(() => this.emit({ kind: "Dot", source: { kind: "local", local: parent }, key, target: t }))] });
    this.emit({
      kind: "Block",
      blocks: [
        this.block(() => {
          this.emit({ kind: "IsUndefined", source: t });
          fill(t);
          this.emit({ kind: "ObjectInsert", key, value: { kind: "local", local: t }, object: parent });
        }),
      ],
    });
    return t;
  }

  protected callRuleSet(set: RuleSet, k: KOp): void {
    const mock = this.f.mocks.get(`data.${set.path.join(".")}`);
    if (mock) return this.planMock(mock, k);
    const { name, mockArgs } = this.funcName(set);
    const r = this.newLocal();
    this.emit({ kind: "Call", func: name, args: [this.inputOp(), this.dataOp(), ...mockArgs], result: r });
    k({ kind: "local", local: r });
  }

}

/** A constant's value without source locations, to tell mock sets apart. */
function constValue(t: ast.Term): unknown {
  const v = t.value;
  switch (v.kind) {
    case "array":
    case "set":
      return [v.kind, v.items.map(constValue)];
    case "object":
      return ["object", v.entries.map(([a, b]) => [constValue(a), constValue(b)])];
    case "number":
      return ["number", v.text];
    default:
      return v;
  }
}

function mentionsVars(t: ast.Term): boolean {
  const v = t.value;
  switch (v.kind) {
    case "var":
      return true;
    case "ref":
      return v.terms.some((x) => mentionsVars(x));
    case "array":
    case "set":
      return v.items.some(mentionsVars);
    case "object":
      return v.entries.some(([a, b]) => mentionsVars(a) || mentionsVars(b));
    case "call":
    case "arraycomp":
    case "setcomp":
    case "objectcomp":
      return true;
    default:
      return false;
  }
}
