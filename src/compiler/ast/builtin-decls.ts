// The Rego built-ins capgate knows, by name: how many arguments each takes, and
// whether it is a relation (may produce several outputs, like `walk`) or takes
// any number of arguments (`print`). The compiler checks calls against this
// table; the planner emits `Call` with the Rego name. A built-in's name and arity
// are declared once, beside its implementation's family: the in-Wasm ones in
// src/wasm-abi's builtins-table.ts, the host ones in its host-builtins-table.ts;
// here are only the ones the compiler itself answers or knows to be absent.

import { HOST_BUILTINS_TABLE, RUNTIME_BUILTINS } from "../../wasm-abi/index.js";

export interface BuiltinDecl {
  /** Number of input arguments; a call may pass one more, the output. */
  arity: number;
  /** Several results per call (the planner iterates over them). */
  relation?: boolean;
  /** Any number of arguments (rewritten by the passes before planning). */
  varargs?: boolean;
  /**
   * An OPA built-in capgate does not provide (network and runtime access the
   * sidecar refuses, or not yet done): known, so `with` may replace it, but a
   * call is a compile error naming it, as OPA reports a built-in its
   * capabilities lack.
   */
  absent?: boolean;
}

/** Built-ins with no implementation to declare them: [name, arity, flag]. */
const COMPILER_ROWS: Array<[string, number, ("varargs" | "absent")?]> = [
  // unification and assignment, planned by the compiler itself
  ["eq", 2], ["assign", 2],
  // rewritten by the passes: print into internal.print, rego.metadata.* into constants
  ["print", 0, "varargs"], ["rego.metadata.chain", 0], ["rego.metadata.rule", 0],
  // OPA built-ins capgate does not provide
  ["net.lookup_ip_addr", 1, "absent"], ["opa.runtime", 0, "absent"], ["http.send", 1, "absent"], ["rego.parse_module", 2, "absent"],
];

/** Built-ins that are relations (the runtime answers every output, the planner scans them). */
const RELATIONS: ReadonlySet<string> = new Set(["walk"]);

/** Host built-ins named `$...` are the runtime's own calls, out of reach of Rego. */
const hostRegoBuiltins = Object.values(HOST_BUILTINS_TABLE)
  .flatMap((family) => Object.entries(family))
  .filter(([name]) => !name.startsWith("$"));

export const BUILTINS: ReadonlyMap<string, BuiltinDecl> = new Map<string, BuiltinDecl>([
  ...hostRegoBuiltins.map(([name, arity]): [string, BuiltinDecl] => [name, { arity }]),
  ...[...RUNTIME_BUILTINS].map(([name, b]): [string, BuiltinDecl] => [name, { arity: b.arity, ...(RELATIONS.has(name) ? { relation: true } : {}) }]),
  ...COMPILER_ROWS.map(([name, arity, flag]): [string, BuiltinDecl] => [
    name,
    { arity, ...(flag === "varargs" ? { varargs: true } : {}), ...(flag === "absent" ? { absent: true } : {}) },
  ]),
]);

/** Built-ins whose names are operators, not user-visible functions (for messages). */
export const OPERATOR_SYMBOLS: Readonly<Record<string, string>> = {
  eq: "=", assign: ":=", equal: "==", neq: "!=", lt: "<", lte: "<=", gt: ">", gte: ">=",
  plus: "+", minus: "-", mul: "*", div: "/", rem: "%", and: "&", or: "|",
};
