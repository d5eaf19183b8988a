// The in-Wasm built-ins of the runtime: Rego name → the runtime export that
// implements it and its arity. The emitter calls these directly; any built-in
// not listed here is a host built-in, imported through opa_builtinN.
//
// Calling convention: every argument is a value pointer (i32) and the result is
// a value pointer, 0 when undefined. A built-in that fails (wrong operand type,
// division by zero, unparsable text) records the error and returns 0; after any
// call that returns 0 the emitter calls
// `capgate_builtin_check(file_ptr, file_len, row, col)`, which aborts with
// `file:row:col: eval_type_error|eval_builtin_error: name: message` when an error
// is pending and returns otherwise. Rewrite the initial value of the exported
// mutable global `capgate_builtin_strict` to 0 for OPA's non-strict mode (errors
// become undefined).

import { AWS_SIGN_BUILTIN, TZ_OFFSET_BUILTIN } from "./runtime-abi.js";

/** The runtime.wasm export of an in-Wasm built-in: `capgate_bi_` and its name, dots as `_`. */
export type RuntimeBuiltinExport = `capgate_bi_${string}`;

export interface RuntimeBuiltin {
  /** The runtime.wasm export implementing it. */
  export: RuntimeBuiltinExport;
  arity: number;
  /** The source file under src/compiler/wasm/runtime/assembly/builtins/. */
  family: string;
  /** A host built-in the export itself may call (host-builtins-table.ts RUNTIME_HOST_CALLS). */
  host?: string;
}

const fam = (family: string, entries: [string, number][], host?: string): [string, RuntimeBuiltin][] =>
  entries.map(([name, arity]) => [name, { export: `capgate_bi_${name.replace(/\./g, "_")}`, arity, family, ...(host ? { host } : {}) }]);

export const RUNTIME_BUILTINS: ReadonlyMap<string, RuntimeBuiltin> = new Map([
  ...fam("comparison", [["equal", 2], ["neq", 2], ["lt", 2], ["lte", 2], ["gt", 2], ["gte", 2]]),
  ...fam("arithmetic", [["plus", 2], ["minus", 2], ["mul", 2], ["div", 2], ["rem", 2], ["abs", 1], ["round", 1], ["ceil", 1], ["floor", 1]]),
  ...fam("aggregates", [["count", 1], ["sum", 1], ["product", 1], ["max", 1], ["min", 1], ["sort", 1], ["any", 1], ["all", 1]]),
  ...fam("types", [["is_number", 1], ["is_string", 1], ["is_boolean", 1], ["is_array", 1], ["is_set", 1], ["is_object", 1], ["is_null", 1], ["type_name", 1]]),
  ...fam("membership", [["internal.member_2", 2], ["internal.member_3", 3]]),
  ...fam("sets", [["and", 2], ["or", 2], ["intersection", 1], ["union", 1], ["set_diff", 2]]),
  ...fam("arrays", [["array.concat", 2], ["array.slice", 3], ["array.reverse", 1], ["array.flatten", 1]]),
  ...fam("objects", [["object.get", 3], ["object.keys", 1], ["object.remove", 2], ["object.union", 2], ["object.union_n", 1], ["object.filter", 2], ["object.subset", 2]]),
  ...fam("strings", [["concat", 2], ["contains", 2], ["startswith", 2], ["endswith", 2], ["lower", 1], ["upper", 1], ["split", 2], ["trim", 2], ["trim_left", 2], ["trim_right", 2], ["trim_prefix", 2], ["trim_suffix", 2], ["trim_space", 1], ["replace", 3], ["indexof", 2], ["indexof_n", 2], ["substring", 3], ["strings.reverse", 1], ["strings.count", 2], ["strings.any_prefix_match", 2], ["strings.any_suffix_match", 2], ["format_int", 2], ["to_number", 1], ["strings.replace_n", 2], ["strings.split_n", 3], ["internal.template_string", 1]]),
  ...fam("numbers", [["numbers.range", 2], ["numbers.range_step", 3]]),
  ...fam("bits", [["bits.and", 2], ["bits.or", 2], ["bits.xor", 2], ["bits.negate", 1], ["bits.lsh", 2], ["bits.rsh", 2]]),
  ...fam("encoding", [["base64.encode", 1], ["base64.decode", 1], ["base64.is_valid", 1], ["base64url.encode", 1], ["base64url.encode_no_pad", 1], ["base64url.decode", 1], ["hex.encode", 1], ["hex.decode", 1]]),
  ...fam("semver", [["semver.is_valid", 1], ["semver.compare", 2]]),
  ...fam("graphs", [["graph.reachable", 2], ["graph.reachable_paths", 2]]),
  ...fam("casts", [["cast_array", 1], ["cast_set", 1], ["cast_string", 1], ["cast_boolean", 1], ["cast_null", 1], ["cast_object", 1]]),
  ...fam("urlquery", [["urlquery.encode", 1], ["urlquery.decode", 1], ["urlquery.encode_object", 1], ["urlquery.decode_object", 1]]),
  ...fam("net", [["net.cidr_contains", 2], ["net.cidr_intersects", 2], ["net.cidr_contains_matches", 2], ["net.cidr_merge", 1], ["net.cidr_overlap", 2]]),
  ...fam("glob", [["glob.match", 3]]),
  ...fam("json", [["json.patch", 2]]),
  ...fam("json-filter", [["json.filter", 2], ["json.remove", 2]]),
  ...fam("json-valid", [["json.is_valid", 1], ["trace", 1]]),
  // The emitter may prefer capgate_print_sets, which also prints the location.
  ...fam("print", [["internal.print", 1]]),
  // walk is a relation in Rego: this returns the array of all [path, value]
  // pairs (pre-order) for the planned code to scan.
  ...fam("walk", [["walk", 1]]),
  // Zones other than UTC: offsets from the host, the arithmetic in Wasm.
  ...fam("time", [["time.add_date", 4], ["time.date", 1], ["time.clock", 1], ["time.weekday", 1], ["time.diff", 2]], TZ_OFFSET_BUILTIN),
  // The host's reading for this evaluation when it wrote one (NOW_NS_GLOBAL), else a call of the host's own time.now_ns.
  ...fam("clock", [["time.now_ns", 0]], "time.now_ns"),
  ...fam("units", [["units.parse", 1], ["units.parse_bytes", 1]]),
  // The request stays in Wasm; the host signs it and answers the headers.
  ...fam("providers", [["providers.aws.sign_req", 3]], AWS_SIGN_BUILTIN),
]);

/** The in-Wasm implementation of a Rego built-in, or undefined for host built-ins. */
export function runtimeBuiltin(name: string): RuntimeBuiltin | undefined {
  return RUNTIME_BUILTINS.get(name);
}
