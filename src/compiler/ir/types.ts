// The planner's output and the Wasm emitter's input: an imperative plan for each
// entrypoint, in the model of OPA's `internal/ir`. Types only; no behaviour lives
// here. A block runs its statements in order and stops, "undefined", at the
// first statement that is undefined (a failed comparison, a missing key); a
// statement never throws except where its comment says it aborts.

/** A numbered, plan-scoped variable. Locals 0 and 1 are always input and data. */
export type Local = number;

export const INPUT_LOCAL: Local = 0;
export const DATA_LOCAL: Local = 1;
/** The first local free for the planner to allocate. */
export const FIRST_FREE_LOCAL: Local = 2;

/** An operand: a local, a string from the static table, or a boolean constant. */
export type Operand =
  | { kind: "local"; local: Local }
  | { kind: "string"; index: number }
  | { kind: "bool"; value: boolean };

export interface Policy {
  static: Static;
  plans: Plan[];
  funcs: Func[];
}

export interface Static {
  /** String constants, referenced by index from `Operand` and `MakeNumberRef`. */
  strings: string[];
  /** Built-ins the module imports from the host (`opa_builtinN`), by name. */
  builtinFuncs: BuiltinFunc[];
  /** Source file names, referenced by index from statement locations. */
  files: string[];
}

export interface BuiltinFunc {
  name: string;
  arity: number;
}

/** An entrypoint. `name` is the slash path (`capgate/token/issue`). */
export interface Plan {
  name: string;
  blocks: Block[];
}

/**
 * A planned function: a rule set, a user function, or a comprehension body.
 * By convention params[0] is input and params[1] is data.
 */
export interface Func {
  name: string;
  params: Local[];
  return: Local;
  blocks: Block[];
  /** For functions that implement a data document, its path (["g0", "data", "a", "b"]). */
  path?: string[];
  /**
   * How many trailing params carry `with` replacement values computed by the
   * caller (not Rego arguments): a rule planned under such a `with` stays a rule.
   */
  mockParams?: number;
}

export interface Block {
  stmts: Stmt[];
}

/** Every statement records where in the Rego source it came from. */
export interface StmtLocation {
  /** Index into `Static.files`. */
  file: number;
  row: number;
  col: number;
}

export type Stmt = StmtBody & { loc: StmtLocation };

export type StmtBody =
  /** Return from the enclosing func with the value of `source`. */
  | { kind: "ReturnLocal"; source: Local }
  /** Call a planned func or a built-in by name; result into `result`. Undefined when the callee is. */
  | { kind: "Call"; func: string; args: Operand[]; result: Local }
  /** Call a func found at run time under the data path `path` (functions replaced with `with`, dynamic refs). */
  | { kind: "CallDynamic"; path: Operand[]; args: Local[]; result: Local }
  /** Run each block in turn; a `Break` inside jumps out of enclosing blocks. */
  | { kind: "Block"; blocks: Block[] }
  /** Leave `index + 1` enclosing blocks (0: the current one) and continue after them. */
  | { kind: "Break"; index: number }
  /** target = source[key]; undefined when source is a scalar or lacks the key. */
  | { kind: "Dot"; source: Operand; key: Operand; target: Local }
  /** target = the number of elements of source (string length in code points for strings). */
  | { kind: "Len"; source: Operand; target: Local }
  /** Run `block` once per element of source with key and value bound; nothing for scalars. */
  | { kind: "Scan"; source: Local; key: Local; value: Local; block: Block }
  /** Defined when `block` is undefined, and the reverse. */
  | { kind: "Not"; block: Block }
  /** target = the native integer `value` (a counter, not a Rego number). */
  | { kind: "AssignInt"; value: number; target: Local }
  /** target = source. */
  | { kind: "AssignVar"; source: Operand; target: Local }
  /** target = source when target is unset or equal; aborts with eval_conflict_error when it differs. */
  | { kind: "AssignVarOnce"; source: Operand; target: Local }
  /** Make target unset (undefined) again. */
  | { kind: "ResetLocal"; target: Local }
  /** target = null. */
  | { kind: "MakeNull"; target: Local }
  /** target = the Rego number `value` (fits in a 64-bit integer). */
  | { kind: "MakeNumberInt"; value: bigint; target: Local }
  /** target = the Rego number whose text is `Static.strings[index]` (floats and big numbers). */
  | { kind: "MakeNumberRef"; index: number; target: Local }
  /** target = a new empty array with room for `capacity` elements. */
  | { kind: "MakeArray"; capacity: number; target: Local }
  /** target = a new empty object. */
  | { kind: "MakeObject"; target: Local }
  /** target = a new empty set. */
  | { kind: "MakeSet"; target: Local }
  /** Defined when a equals b (Rego equality: 1 == 1.0). */
  | { kind: "Equal"; a: Operand; b: Operand }
  /** Defined when a does not equal b. */
  | { kind: "NotEqual"; a: Operand; b: Operand }
  /** Defined when source is an array. */
  | { kind: "IsArray"; source: Operand }
  /** Defined when source is an object. */
  | { kind: "IsObject"; source: Operand }
  /** Defined when source is a set. */
  | { kind: "IsSet"; source: Operand }
  /** Defined when source holds a value. */
  | { kind: "IsDefined"; source: Local }
  /** Defined when source holds no value. */
  | { kind: "IsUndefined"; source: Local }
  /** Append value to the array in `array`. */
  | { kind: "ArrayAppend"; value: Operand; array: Local }
  /** object[key] = value, replacing an existing entry. */
  | { kind: "ObjectInsert"; key: Operand; value: Operand; object: Local }
  /** object[key] = value; aborts with eval_conflict_error when key exists with another value. */
  | { kind: "ObjectInsertOnce"; key: Operand; value: Operand; object: Local }
  /** target = a merged with b recursively (keys of a win on scalar conflicts); used for data + virtual docs. */
  | { kind: "ObjectMerge"; a: Local; b: Local; target: Local }
  /** Add value to the set in `set`. */
  | { kind: "SetAdd"; value: Operand; set: Local }
  /** Run `block` with the value at `path` (string indexes) inside `local` replaced by `value`, then restore. */
  | { kind: "With"; local: Local; path: number[]; value: Operand; block: Block }
  /** Does nothing; keeps a location for debugging. */
  | { kind: "Nop" }
  /** Add value to the plan's result set. */
  | { kind: "ResultSetAdd"; value: Local };

export type StmtKind = StmtBody["kind"];
