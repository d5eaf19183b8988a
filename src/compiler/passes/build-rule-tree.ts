// Pass: index rules by the data path they define (the rule tree). Rules are
// grouped into rule sets by the ground prefix of their head ref, so that every
// module contributing to a package adds to the same sets. Head shapes are
// normalised here: a v0 `p[x]` partial set gets its key out of the ref, and a
// rule without a value gets `true`.

import type * as ast from "../ast/types.js";
import { term } from "./ast-util.js";
import { type RuleSet, type RuleSetKind, type RuleTreeNode, ruleSetKey } from "./compiled-policy.js";
import { type PassContext, report } from "./context.js";

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

export function buildRuleTree(ctx: PassContext): void {
  for (const m of ctx.modules) {
    m.rules = m.rules.map(normaliseHead);
    for (const rule of m.rules) {
      const head = rule.head;
      const prefix = groundPrefix(head.ref);
      const rest = head.ref.length - 1 - prefix.length;
      let kind: RuleSetKind;
      if (head.args) kind = "function";
      else if (head.kind === "multi") kind = "partial-set";
      else kind = rest > 0 ? "partial-object" : "complete";
      if ((kind === "function" || kind === "partial-set") && rest > 0) {
        report(ctx, "rego_compile_error", `rule ${dataPathString(prefix)} has variables in its ref where only a name may be`, head.location);
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
      if (rule.default) {
        if (set.default) report(ctx, "rego_type_error", `multiple default rules ${dataPathString(prefix)} found`, rule.location);
        else set.default = { rule, module: m };
      } else {
        set.rules.push({ rule, module: m });
      }
    }
  }
}

/** Rule sets must not sit above other rule sets (`p := 1` with `p.q := 2`, or a package named like a rule). */
export function checkRuleConflicts(ctx: PassContext): void {
  const visit = (node: RuleTreeNode): void => {
    if (node.ruleSet && node.children.size > 0) {
      const first = node.ruleSet.rules[0] ?? node.ruleSet.default;
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
