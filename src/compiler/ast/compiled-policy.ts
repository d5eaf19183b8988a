// What compile() hands to the planner: the rewritten, checked modules, the rule
// tree indexed by data path, the rewritten named queries and the built-ins in use.

import type * as ast from "./types.js";

/** `p := v` / `p if`, `p contains x`, `p[k] := v` (ref heads with variables), `f(x) := v`. */
export type RuleSetKind = "complete" | "partial-set" | "partial-object" | "function";

export interface RuleEntry {
  /**
   * The rule after the passes: `head.ref` is the full ref starting with the var
   * `data` (`data.a.b[x]`), `head.value` is always set (true when the source had
   * none), `head.key` is set for partial sets; the body is safe and ordered so
   * that every variable is bound before it is read.
   */
  rule: ast.Rule;
  module: ast.Module;
}

/** All rules that define one document (same ground path prefix). */
export interface RuleSet {
  /** The ground path under data, e.g. ["a", "b"] for `package a` rule `b...`. */
  path: string[];
  kind: RuleSetKind;
  /** Rules in source order (modules in the order given); default rules are not here. */
  rules: RuleEntry[];
  default?: RuleEntry;
  /**
   * Partial objects: defaults for single keys, `default p[true] := 1` (the
   * ref below the set's path all constants). Each adds its key when no rule of
   * the set has.
   */
  keyedDefaults?: RuleEntry[];
  /** Number of arguments, for functions. */
  arity?: number;
}

export interface RuleTreeNode {
  key: string;
  /** Path under data. */
  path: string[];
  children: Map<string, RuleTreeNode>;
  ruleSet?: RuleSet;
}

export interface QueryVar {
  /** The name the user wrote. */
  name: string;
  /** The name after rewriting (what the body uses). */
  rewritten: string;
}

export interface CompiledQuery {
  name: string;
  body: ast.Body;
  /** User-visible variables, in order of first appearance. */
  vars: QueryVar[];
}

export interface CompiledPolicy {
  modules: ast.Module[];
  ruleTree: RuleTreeNode;
  /** Rule sets by their path joined with "/" (functions included). */
  ruleSets: Map<string, RuleSet>;
  queries: CompiledQuery[];
  /** Names of the built-ins called anywhere (after rewriting). */
  builtins: Set<string>;
}

export interface NamedQuery {
  name: string;
  query: ast.Query;
}

export function ruleSetKey(path: readonly string[]): string {
  return path.join("/");
}
