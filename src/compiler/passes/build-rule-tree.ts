// Pass: index rules by the data path they define (the rule tree). Rules are
// grouped into rule sets by the ground prefix of their head ref, so that every
// module contributing to a package adds to the same sets. Head shapes are
// normalised here: a v0 `p[x]` partial set gets its key out of the ref, and a
// rule without a value gets `true`.

import type * as ast from "../ast/types.js";
import { printTerm } from "../ast/print.js";
import { isGround, term } from "../ast/builders.js";
import { type RuleSet, type RuleSetKind, type RuleTreeNode, ruleSetKey } from "../ast/compiled-policy.js";
import { type PassContext, report } from "./context.js";

/**
 * Where a `data` ref reads the document tree, a number key names the key of that
 * text (`data[1]` is `data["1"]`), as OPA does; returns the path-walking view.
 */
export function treeKeys(ref: ast.Term[]): ast.Term[] {
  const out = [...ref];
  for (let i = 1; i < out.length; i++) {
    const t = out[i]!;
    if (t.value.kind === "number") out[i] = { ...t, value: { kind: "string", value: t.value.text } };
    else if (t.value.kind !== "string") break;
  }
  return out;
}

/** The string keys after `data` up to the first non-string term. */
export function groundPrefix(ref: ast.Term[]): string[] {
  const out: string[] = [];
  for (const t of ref.slice(1)) {
    if (t.value.kind !== "string") break;
    out.push(t.value.value);
  }
  return out;
}

function normaliseHead(r: ast.Rule): ast.Rule {
  let head = r.head;
  if (head.kind === "multi" && !head.key && head.ref.length > 1) {
    head = { ...head, key: head.ref[head.ref.length - 1]!, ref: head.ref.slice(0, -1) };
  }
  if (!head.value && head.kind === "single") head = { ...head, value: term({ kind: "boolean", value: true }, head.location) };
  const out: ast.Rule = { ...r, head };
  if (r.else) out.else = normaliseHead(r.else);
  return out;
}

export function nodeAt(root: RuleTreeNode, path: readonly string[], create: boolean): RuleTreeNode | undefined {
  let node = root;
  for (const key of path) {
    let child = node.children.get(key);
    if (!child) {
      if (!create) return undefined;
      child = { key, path: [...node.path, key], children: new Map() };
      node.children.set(key, child);
    }
    node = child;
  }
  return node;
}

export function dataPathString(path: readonly string[]): string {
  return ["data", ...path].join(".");
}

/**
 * Where each rule's document path ends. Rules of one name whose refs go on with
 * variables or non-string keys (`c[null] := 1`, `c["hello"] := 2`, `p[x][y] := 3`)
 * all become one object-building rule set at their longest common string
 * prefix, so every key of that object comes from one func.
 */
function prefixLengths(ctx: PassContext): Map<ast.Rule, number> {
  const groups = new Map<string, ast.Rule[]>();
  for (const m of ctx.modules) {
    for (const r of m.rules) {
      // Defaults join too: `default c[true] := 1` makes `c` an object like `c[x] := 2` does.
      if (r.head.args) continue;
      const name = ruleRoot(m, r);
      const list = groups.get(name) ?? [];
      list.push(r);
      groups.set(name, list);
    }
  }
  const out = new Map<ast.Rule, number>();
  for (const rules of groups.values()) {
    const open = rules.some((r) => groundPrefix(r.head.ref).length < r.head.ref.length - 1);
    if (!open || rules.length < 2) continue;
    let common = groundPrefix(rules[0]!.head.ref);
    for (const r of rules.slice(1)) {
      const p = groundPrefix(r.head.ref);
      let i = 0;
      while (i < common.length && i < p.length && common[i] === p[i]) i++;
      common = common.slice(0, i);
    }
    for (const r of rules) out.set(r, common.length);
  }
  return out;
}

/** The rule's package path and first name: rules that may share one document. */
function ruleRoot(m: ast.Module, r: ast.Rule): string {
  const pkgLen = m.package.path.length; // `data` + package names
  return r.head.ref
    .slice(0, pkgLen + 1)
    .map((t) => (t.value.kind === "string" ? t.value.value : "?"))
    .join(".");
}

export function buildRuleTree(ctx: PassContext): void {
  for (const m of ctx.modules) {
    m.rules = m.rules.map(normaliseHead);
    // Every package exists as a document, even with no rules (it reads as {}).
    nodeAt(ctx.ruleTree, groundPrefix(m.package.path), true);
  }
  const lengths = prefixLengths(ctx);
  for (const m of ctx.modules) {
    for (const rule of m.rules) {
      const head = rule.head;
      const ground = groundPrefix(head.ref);
      const prefix = ground.slice(0, lengths.get(rule) ?? ground.length);
      const rest = head.ref.length - 1 - prefix.length;
      let kind: RuleSetKind;
      if (head.args) kind = "function";
      else if (rest > 0) kind = "partial-object";
      else if (head.kind === "multi") kind = "partial-set";
      else kind = "complete";
      if (kind === "function" && rest > 0) {
        report(ctx, "rego_compile_error", `function ${dataPathString(ground)} must be named by a plain path`, head.location);
        continue;
      }
      const node = nodeAt(ctx.ruleTree, prefix, true)!;
      const key = ruleSetKey(prefix);
      let set = node.ruleSet;
      if (!set) {
        set = { path: prefix, kind, rules: [] };
        node.ruleSet = set;
        ctx.ruleSets.set(key, set);
      }
      if (set.kind !== kind || (kind === "function" && set.arity !== undefined && set.arity !== head.args!.length)) {
        report(ctx, "rego_type_error", `conflicting rules ${dataPathString(prefix)} found`, head.location);
        continue;
      }
      if (kind === "function") set.arity = head.args!.length;
      if (rule.default && kind === "partial-object" && head.ref.slice(1 + prefix.length).every(isGround)) {
        const at = keyedPath(rule, prefix);
        if (set.keyedDefaults?.some((e) => keyedPath(e.rule, prefix) === at)) report(ctx, "rego_type_error", `multiple default rules ${at} found`, rule.location);
        else (set.keyedDefaults ??= []).push({ rule, module: m });
      } else if (rule.default) {
        if (set.default) report(ctx, "rego_type_error", `multiple default rules ${dataPathString(prefix)} found`, rule.location);
        else set.default = { rule, module: m };
      } else {
        set.rules.push({ rule, module: m });
      }
    }
  }
}

/** `data.p.c[true]`: where a keyed default of the object at `prefix` puts its value. */
function keyedPath(rule: ast.Rule, prefix: readonly string[]): string {
  return dataPathString(prefix) + rule.head.ref.slice(1 + prefix.length).map((t) => `[${printTerm(t)}]`).join("");
}

/** Rule sets must not sit above other rule sets (`p := 1` with `p.q := 2`, or a package named like a rule). */
export function checkRuleConflicts(ctx: PassContext): void {
  const visit = (node: RuleTreeNode): void => {
    if (node.ruleSet && node.children.size > 0) {
      const first = node.ruleSet.rules[0] ?? node.ruleSet.default ?? node.ruleSet.keyedDefaults?.[0];
      const below = [...node.children.values()].map((c) => dataPathString(c.path)).join(", ");
      if (first) report(ctx, "rego_type_error", `rule ${dataPathString(node.path)} conflicts with [${below}]`, first.rule.location);
    }
    for (const set of [node.ruleSet]) {
      if (set?.default && set.kind !== "complete" && set.kind !== "function") {
        report(ctx, "rego_compile_error", `default rule ${dataPathString(set.path)} must be a complete rule`, set.default.rule.location);
      }
    }
    node.children.forEach(visit);
  };
  visit(ctx.ruleTree);
}

export type { RuleSet };
