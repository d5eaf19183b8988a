// The contract between the AssemblyScript runtime (src/compiler/wasm/runtime/assembly/,
// built into runtime/build/runtime.wasm), the Wasm emitter and the hosts that run
// its modules: every function the emitter may call, with its Wasm signature, plus
// the in-memory value layout and the host calls. The emitter links its planned
// functions against these exports by name, so names here are stable.
//
// Conventions
// - A "value" is an i32 pointer into linear memory; 0 means undefined.
// - Functions returning a value return 0 when the result is undefined (missing key,
//   type mismatch). In-Wasm built-ins that fail also return 0 and leave an error
//   pending for capgate_builtin_check (see builtins-table.ts).
// - Values are mutable only while being built (append/insert/add on a fresh
//   collection); values reachable from input/data are never mutated, except that
//   objects and sets reorder their entry lists in place (sorting by key) when
//   scanned, compared or printed, which does not change their meaning.
//
// Memory model (OPA's): a bump heap that the SDK resets with opa_heap_ptr_set
// between evaluations; nothing the runtime keeps across evaluations points above
// the reset mark. Static data (runtime constants, then the emitter's data) sits
// below the heap start. The runtime's data segments start at 1024 and end at the
// highest (offset + size) over runtime.wasm's data segments; the emitter places its
// segments above that. The exported mutable i32 global `capgate_heap_base` starts
// at 0, meaning "the heap starts right after the runtime's data" (16-aligned); the
// emitter rewrites its initial value to the (16-aligned) end of its own data. The
// heap pointer is taken from it on the first allocation. runtime.wasm imports
// env.memory with a minimum of 1 page and grows it as needed.

export type WasmType = "i32" | "i64" | "f64";

export interface RuntimeFunction {
  params: readonly WasmType[];
  result: WasmType | null;
  doc: string;
}

/** Type tags stored in the first byte of every value (also the rank in Rego's sort order). */
export const VALUE_TYPE = {
  null: 1,
  boolean: 2,
  number: 3,
  string: 4,
  array: 5,
  object: 6,
  set: 7,
} as const;

/** Number representations (byte 1 of a number value). */
export const NUMBER_REPR = { int: 1, float: 2, ref: 3 } as const;

/**
 * Value layout (byte offsets; all pointers/lengths are u32, little endian). The
 * emitter may lay out constant strings, numbers, null and booleans directly in its
 * data segment with this layout instead of building them at run time.
 */
export const VALUE_LAYOUT = {
  /** null: 8 bytes, [0]=1. */
  null: { size: 8 },
  /** boolean: 8 bytes, [0]=2, [4]=0|1 (u8). */
  boolean: { size: 8, value: 4 },
  /** number: 16 bytes, [0]=3, [1]=repr; int: i64 at 8; float: f64 at 8; ref: text len u32 at 4, text ptr u32 at 8. */
  number: { size: 16, repr: 1, refLen: 4, payload: 8 },
  /** string: 12 bytes, [0]=4, UTF-8 byte length at 4, bytes pointer at 8 (not NUL-terminated). */
  string: { size: 12, len: 4, ptr: 8 },
  /** array: 16 bytes, [0]=5, len at 4, cap at 8, elements pointer at 12 (u32 value pointers). */
  array: { size: 16, len: 4, cap: 8, elems: 12 },
  /** object and set: hash table with an entry list sorted lazily for iteration; use the functions. */
  object: { size: 24 },
  set: { size: 24 },
} as const;

/** Messages of capgate_runtime_error's `kind` argument (OPA's wording). */
export const RUNTIME_ERROR_KIND = {
  completeRuleConflict: 1, // eval_conflict_error: complete rules must not produce multiple outputs
  objectKeyConflict: 2, // eval_conflict_error: object keys must be unique
  functionConflict: 3, // eval_conflict_error: functions must not produce multiple outputs for same inputs
  varAssignConflict: 4, // eval_conflict_error: var assignment conflict
  internal: 5, // eval_internal_error: internal error
} as const;

const v = "i32" as const;

/**
 * Every runtime export the emitter may use. Built-ins are listed in builtins-table.ts.
 * Kept `as const` so each name is a type (RuntimeFunctionName): the emitter's calls
 * by name are checked when it compiles, not when a module is linked.
 */
export const RUNTIME_FUNCTIONS = {
  // --- OPA ABI: memory -------------------------------------------------------
  opa_malloc: { params: [v], result: v, doc: "Allocate size bytes (8-aligned) on the heap, growing memory; OPA ABI." },
  opa_free: { params: [v], result: null, doc: "Release a block (a no-op unless it is the last one); OPA ABI." },
  opa_heap_ptr_get: { params: [], result: v, doc: "Current heap pointer; OPA ABI." },
  opa_heap_ptr_set: { params: [v], result: null, doc: "Reset the heap pointer (frees everything above); OPA ABI." },

  // --- OPA ABI: values in and out ---------------------------------------------
  opa_json_parse: { params: [v, v], result: v, doc: "Parse JSON text (ptr, len) into a value; 0 on a syntax error. OPA ABI." },
  opa_value_parse: { params: [v, v], result: v, doc: "Parse Rego value text (JSON plus sets `{1,2}`, `set()`); 0 on error. OPA ABI." },
  opa_json_dump: { params: [v], result: v, doc: "Serialise a value as JSON (sets as arrays, non-string keys as JSON text), NUL-terminated; returns the text pointer. OPA ABI." },
  opa_value_dump: { params: [v], result: v, doc: "Serialise a value in Rego syntax (sets `{..}`/`set()`), NUL-terminated. OPA ABI." },
  opa_value_add_path: { params: [v, v, v], result: v, doc: "(base, path array of strings, value): upsert value at path inside base in place, creating objects; 0 ok, 2 invalid path. OPA ABI." },
  opa_value_remove_path: { params: [v, v], result: v, doc: "(base, path): remove the value at path in place; 0 ok (also when absent), 2 invalid path. OPA ABI." },

  // --- OPA ABI < 1.2: evaluation context (a 16-byte struct: input, data, result, entrypoint)
  opa_eval_ctx_new: { params: [], result: v, doc: "Allocate a zeroed eval context; OPA ABI." },
  opa_eval_ctx_set_input: { params: [v, v], result: null, doc: "ctx.input = value; OPA ABI." },
  opa_eval_ctx_set_data: { params: [v, v], result: null, doc: "ctx.data = value; OPA ABI." },
  opa_eval_ctx_set_entrypoint: { params: [v, v], result: null, doc: "ctx.entrypoint = id; OPA ABI." },
  opa_eval_ctx_get_result: { params: [v], result: v, doc: "ctx.result (a set of {\"result\": v} objects); OPA ABI." },
  capgate_eval_ctx_get_input: { params: [v], result: v, doc: "ctx.input, for the emitter's eval(ctx)." },
  capgate_eval_ctx_get_data: { params: [v], result: v, doc: "ctx.data, for the emitter's eval(ctx)." },
  capgate_eval_ctx_get_entrypoint: { params: [v], result: v, doc: "ctx.entrypoint, for the emitter's eval(ctx)." },
  capgate_eval_ctx_set_result: { params: [v, v], result: null, doc: "ctx.result = value, for the emitter's eval(ctx)." },
  capgate_eval_prepare: {
    params: [v, v, v],
    result: v,
    doc: "opa_eval helper (ABI 1.2): (heap_ptr, input_ptr, input_len): set the heap pointer, parse the input JSON (0 when input_len is 0) and return the input value; aborts on malformed input.",
  },

  // --- host built-in calls (runtime/assembly/host-call.ts) -----------------------
  capgate_host_call0: { params: [v], result: v, doc: "(id): opa_builtin0 after recording no operands." },
  capgate_host_call1: { params: [v, v], result: v, doc: "(id, a): opa_builtin1 after recording its operand for capgate_host_operand." },
  capgate_host_call2: { params: [v, v, v], result: v, doc: "(id, a, b): opa_builtin2 after recording its operands." },
  capgate_host_call3: { params: [v, v, v, v], result: v, doc: "(id, a, b, c): opa_builtin3 after recording its operands." },
  capgate_host_call4: { params: [v, v, v, v, v], result: v, doc: "(id, a, b, c, d): opa_builtin4 after recording its operands." },
  capgate_host_operand: {
    params: [v],
    result: v,
    doc: "Operand i (from 0) of the host built-in call in progress, 0 past its arity; exported so the host reads its operands' JSON exactly rather than through the SDK's JSON.parse.",
  },

  // --- constructors ---------------------------------------------------------
  capgate_null: { params: [], result: v, doc: "The null value (a static singleton)." },
  capgate_boolean: { params: [v], result: v, doc: "true for non-zero, false for 0 (static singletons)." },
  capgate_number_int: { params: ["i64"], result: v, doc: "A number from an int64 (MakeNumberInt)." },
  capgate_number_float: { params: ["f64"], result: v, doc: "A number from a float64." },
  capgate_number_ref: { params: [v, v], result: v, doc: "A number from decimal text (ptr, len) (MakeNumberRef); kept as text, normalised to int when it is an integer that fits." },
  capgate_string: { params: [v, v], result: v, doc: "A string value over UTF-8 bytes (ptr, len); bytes are not copied." },
  capgate_array: { params: [v], result: v, doc: "A new empty array with the given capacity (MakeArray)." },
  capgate_object: { params: [], result: v, doc: "A new empty object (MakeObject)." },
  capgate_set: { params: [], result: v, doc: "A new empty set (MakeSet)." },

  // --- inspection -----------------------------------------------------------
  capgate_value_type: { params: [v], result: v, doc: "The type tag (VALUE_TYPE), 0 for undefined." },
  capgate_is_true: { params: [v], result: v, doc: "1 when the value is boolean true." },
  capgate_value_get: { params: [v, v], result: v, doc: "Dot: array[index number], object[key], set member (returns the member); 0 when absent or scalar." },
  capgate_value_length: { params: [v], result: v, doc: "Elements of array/object/set, code points of a string; -1 for other values." },
  capgate_len: { params: [v], result: v, doc: "Len: capgate_value_length as a number value; 0 (undefined) for other values." },
  capgate_value_compare: { params: [v, v], result: v, doc: "Rego total order: -1, 0, 1 (null < boolean < number < string < array < object < set)." },
  capgate_value_equal: { params: [v, v], result: v, doc: "1 when equal under Rego equality (1 == 1.0), else 0; undefined equals nothing." },
  capgate_value_hash: { params: [v], result: v, doc: "Hash consistent with capgate_value_equal." },

  // --- building collections ---------------------------------------------------
  capgate_array_append: { params: [v, v], result: null, doc: "ArrayAppend: append value to array (grows)." },
  capgate_array_get: { params: [v, v], result: v, doc: "(array, native index) → element or 0." },
  capgate_object_insert: { params: [v, v, v], result: null, doc: "ObjectInsert: object[key] = value, replacing." },
  capgate_object_insert_once: { params: [v, v, v], result: v, doc: "ObjectInsertOnce: 0 ok (new key or same value), 1 conflict (emitter then calls capgate_runtime_error kind 2)." },
  capgate_object_get: { params: [v, v], result: v, doc: "object[key] or 0." },
  capgate_object_merge: { params: [v, v], result: v, doc: "ObjectMerge: recursive merge of two objects, a's scalars win; a non-object side yields the other; 0 when both undefined." },
  capgate_set_add: { params: [v, v], result: null, doc: "SetAdd: add value to set (no-op when present)." },
  capgate_set_contains: { params: [v, v], result: v, doc: "1 when set contains value." },
  capgate_value_shallow_copy: { params: [v], result: v, doc: "A copy of the top level of an array/object/set (elements shared); scalars returned as is." },
  capgate_value_upsert: {
    params: [v, v, v],
    result: v,
    doc: "With: (base, path array of key values, value) → a new root equal to base with value at path; objects on the path are copied, base is untouched; missing or non-object levels become objects. An empty path returns value.",
  },

  // --- iteration (Scan) -------------------------------------------------------
  capgate_iter_count: { params: [v], result: v, doc: "Number of elements to scan (0 for scalars); sorts object/set entries so scans run in key order." },
  capgate_iter_key: { params: [v, v], result: v, doc: "(collection, i) → key: index number for arrays, key for objects, element for sets." },
  capgate_iter_value: { params: [v, v], result: v, doc: "(collection, i) → value: element for arrays, value for objects, element for sets." },
  capgate_value_iter: { params: [v, v], result: v, doc: "OPA-style next-key protocol: (collection, previous key or 0) → next key or 0." },

  // --- errors ---------------------------------------------------------------
  capgate_runtime_error: {
    params: [v, v, v, v, v],
    result: null,
    doc: "(file_ptr, file_len, row, col, kind: RUNTIME_ERROR_KIND): formats `file:row:col: message` and calls the imported opa_abort (does not return).",
  },
  capgate_runtime_error_msg: {
    params: [v, v, v, v, v, v],
    result: null,
    doc: "(file_ptr, file_len, row, col, msg_ptr, msg_len): like capgate_runtime_error with a free message.",
  },
  capgate_print_sets: {
    params: [v, v, v, v],
    result: null,
    doc: "OPA's internal.print([A, B, ...]) with location: (file_ptr, file_len, row, array of sets) → opa_println(`file:row: ...`); each set's members print as in capgate_print, an empty set as <undefined>.",
  },
  capgate_builtin_check: {
    params: [v, v, v, v],
    result: null,
    doc: "(file_ptr, file_len, row, col): call after an in-Wasm built-in returned 0; aborts with `file:row:col: eval_type_error|eval_builtin_error: name: message` when that built-in failed, else returns (see builtins-table.ts).",
  },
  capgate_builtin_error_pending: { params: [], result: v, doc: "1 when a built-in error is pending (capgate_builtin_check would abort)." },
  capgate_set_diff: { params: [v, v], result: v, doc: "a - b for two sets (no type checks)." },
  capgate_println_value: { params: [v], result: null, doc: "Print one value (strings bare, else Rego syntax, undefined as <undefined>) through the imported opa_println." },
  capgate_print: {
    params: [v, v, v, v],
    result: null,
    doc: "print(...): (file_ptr, file_len, row, args array) → opa_println(`file:row: a1 a2 ...`); strings bare, other values in Rego syntax with \", \" and \": \" separators, an empty set as {}, a 0 element (undefined argument, appended raw with capgate_array_append) as <undefined>; no prefix when file_len is 0.",
  },
} as const satisfies Readonly<Record<string, RuntimeFunction>>;

/** The name of a runtime export the emitter may call (a key of RUNTIME_FUNCTIONS). */
export type RuntimeFunctionName = keyof typeof RUNTIME_FUNCTIONS;

/**
 * Exported mutable i32 globals whose initial value the emitter may rewrite.
 * capgate_heap_base: see the memory model above (0 = right after the runtime's data).
 * capgate_builtin_strict: 1 (default) built-in errors abort; 0 they make the call undefined.
 * capgate_deadline_builtin: the builtins() id of DEADLINE_BUILTIN, which the allocator
 *   calls every 4096 allocations; -1 (default) never calls it. Unlike the others it
 *   stays exported from a compiled module: a host that provides DEADLINE_BUILTIN sets
 *   it after instantiating, so a host that does not (the plain SDK) is never called.
 * capgate_tz_offset_builtin: the builtins() id of TZ_OFFSET_BUILTIN, which the time.*
 *   built-ins call for a zone other than UTC; -1 (default) makes such a zone an error.
 *   The emitter sets it when the policy calls one of them (RUNTIME_HOST_CALLS).
 * capgate_aws_sign_builtin: the builtins() id of AWS_SIGN_BUILTIN, which
 *   providers.aws.sign_req calls; -1 (default) makes the call an error.
 * capgate_now_ns_builtin: the builtins() id of the host's time.now_ns, which the
 *   in-Wasm time.now_ns calls when the host has not written this evaluation's
 *   reading (NOW_NS_GLOBAL); the emitter sets it when the policy calls time.now_ns.
 */
export const RUNTIME_GLOBALS = [
  "capgate_heap_base",
  "capgate_builtin_strict",
  "capgate_deadline_builtin",
  "capgate_tz_offset_builtin",
  "capgate_aws_sign_builtin",
  "capgate_now_ns_builtin",
] as const;

export type RuntimeGlobalName = (typeof RUNTIME_GLOBALS)[number];

/** The exported global holding where the heap starts (the memory model above). */
export const HEAP_BASE_GLOBAL = "capgate_heap_base" satisfies RuntimeGlobalName;

/**
 * The host built-in that ends an evaluation past its deadline by throwing; it
 * answers nothing otherwise. `$` keeps it out of reach of Rego source.
 */
export const DEADLINE_BUILTIN = "$capgate.deadline";
export const DEADLINE_GLOBAL = "capgate_deadline_builtin" satisfies RuntimeGlobalName;

/**
 * time.now_ns for the evaluation about to run, as a host that knows it writes it
 * before each evaluation: the exported mutable i64 NOW_NS_GLOBAL holds the
 * reading, the i32 NOW_NS_KNOWN_GLOBAL 1 says it is valid (0: the in-Wasm
 * time.now_ns asks the host's). A host that never writes them (the plain SDK)
 * is asked every time, as for a module without them.
 */
export const NOW_NS_GLOBAL = "capgate_now_ns";
export const NOW_NS_KNOWN_GLOBAL = "capgate_now_ns_known";

/** The exported global holding OPA's strict built-in errors setting (1 on, 0 off). */
export const STRICT_GLOBAL = "capgate_builtin_strict" satisfies RuntimeGlobalName;

/**
 * The host built-in the time.* built-ins ask for a time zone's UTC offset, so
 * the calendar arithmetic stays exact in Wasm while the zone database stays in
 * the host: `(zone string, seconds number, local boolean)` → the offset in
 * seconds east of UTC at that instant (local false) or the one Go's time.Date
 * gives that wall-clock time (local true), or a string: the error to report
 * (an unknown zone).
 */
export const TZ_OFFSET_BUILTIN = "$capgate.tz_offset";

/**
 * The host built-in providers.aws.sign_req asks for the signed headers:
 * `(request object, config object, time_ns number)` → the request's headers
 * with Authorization and the x-amz-* headers added, or a string: the error to
 * report. The request, with any sets in it, stays in the module.
 */
export const AWS_SIGN_BUILTIN = "$capgate.aws_sign";

/**
 * The Wasm features runtime.wasm uses (AssemblyScript's defaults). binaryen's
 * readBinary starts with MVP only, so the emitter must enable these before
 * validating or optimising: `module.setFeatures(runtimeFeatures(binaryen.Features))`.
 */
export function runtimeFeatures(f: {
  MVP: number;
  BulkMemory: number;
  SignExt: number;
  MutableGlobals: number;
  NontrappingFPToInt: number;
  BulkMemoryOpt?: number;
}): number {
  return f.MVP | f.BulkMemory | f.SignExt | f.MutableGlobals | f.NontrappingFPToInt | (f.BulkMemoryOpt ?? 0);
}

/** Imports runtime.wasm needs (module "env"); the SDK provides all of them. */
export const RUNTIME_IMPORTS = {
  memory: "env.memory (WebAssembly.Memory, imported)",
  opa_abort: "env.opa_abort(msg_ptr: i32): void — NUL-terminated message; the SDK throws it",
  opa_println: "env.opa_println(msg_ptr: i32): void — NUL-terminated line",
  opa_builtin0: "env.opa_builtin0(builtin_id: i32, ctx: i32): i32 — the deadline check (capgate_deadline_builtin)",
  opa_builtin3: "env.opa_builtin3(builtin_id: i32, ctx: i32, a: i32, b: i32, c: i32): i32 — time zone offsets (capgate_tz_offset_builtin), AWS signatures (capgate_aws_sign_builtin)",
} as const;
