// The argument and result types of the built-ins, as OPA declares them in
// ast/builtins.go, reduced to the outer kind of each value (a number, an
// array, ...; not what an array holds). CheckTypes uses them to reject calls
// whose argument can never have the wanted kind, such as `count(1)`, as OPA's
// type checker does. A built-in missing here is not type checked; arities live
// in builtin-decls, and a test keeps the two tables in step. Where OPA's
// evaluator takes more than its declaration says (time.add_date takes [ns, tz]
// as the other time built-ins do), the wider kinds are used. Keep it data.

/** The kinds of Rego values, one bit each, so that a union is a mask. */
export const KIND = {
  null: 1,
  boolean: 2,
  number: 4,
  string: 8,
  array: 16,
  set: 32,
  object: 64,
} as const;

export type KindName = keyof typeof KIND;

/** A set of kinds; ANY holds every kind. */
export type TypeMask = number;
export const ANY: TypeMask = 127;

export interface BuiltinType {
  args: TypeMask[];
  result: TypeMask;
}

/** `"a, b -> r"`, where each of a, b, r is `any` or kinds joined by `|`. */
const SIGNATURES: Record<string, string> = {
  // arithmetic and set operators (the parser turns infix syntax into these calls)
  plus: "number, number -> number",
  minus: "number|set, number|set -> number|set",
  mul: "number, number -> number",
  div: "number, number -> number",
  rem: "number, number -> number",
  and: "set, set -> set",
  or: "set, set -> set",
  // aggregates
  count: "array|object|set|string -> number",
  sum: "array|set -> number",
  product: "array|set -> number",
  max: "array|set -> any",
  min: "array|set -> any",
  sort: "array|set -> array",
  // arrays and sets
  "array.concat": "array, array -> array",
  "array.slice": "array, number, number -> array",
  "array.reverse": "array -> array",
  intersection: "set -> set",
  union: "set -> set",
  // objects
  "object.get": "object, any, any -> any",
  "object.remove": "object, array|object|set -> object",
  "object.union": "object, object -> object",
  "object.union_n": "array -> object",
  "object.filter": "object, array|object|set -> object",
  "object.keys": "object -> set",
  "object.subset": "array|object|set, array|object|set -> boolean",
  "json.filter": "object, array|set -> any",
  "json.remove": "object, array|set -> any",
  "json.patch": "any, array -> any",
  // strings
  concat: "string, array|set -> string",
  contains: "string, string -> boolean",
  endswith: "string, string -> boolean",
  startswith: "string, string -> boolean",
  format_int: "number, number -> string",
  indexof: "string, string -> number",
  indexof_n: "string, string -> array",
  lower: "string -> string",
  upper: "string -> string",
  replace: "string, string, string -> string",
  split: "string, string -> array",
  sprintf: "string, array -> string",
  "strings.any_prefix_match": "string|array|set, string|array|set -> boolean",
  "strings.any_suffix_match": "string|array|set, string|array|set -> boolean",
  "strings.replace_n": "object, string -> string",
  "strings.reverse": "string -> string",
  "strings.count": "string, string -> number",
  "strings.render_template": "string, object -> string",
  substring: "string, number, number -> string",
  trim: "string, string -> string",
  trim_left: "string, string -> string",
  trim_right: "string, string -> string",
  trim_prefix: "string, string -> string",
  trim_suffix: "string, string -> string",
  trim_space: "string -> string",
  // regular expressions and globs
  "regex.match": "string, string -> boolean",
  re_match: "string, string -> boolean",
  "regex.is_valid": "any -> boolean",
  "regex.split": "string, string -> array",
  "regex.find_n": "string, string, number -> array",
  "regex.find_all_string_submatch_n": "string, string, number -> array",
  "regex.replace": "string, string, string -> string",
  "regex.template_match": "string, string, string, string -> boolean",
  "regex.globs_match": "string, string -> boolean",
  "glob.match": "string, array|null, string -> boolean",
  "glob.quote_meta": "string -> string",
  // numbers and bits
  abs: "number -> number",
  ceil: "number -> number",
  floor: "number -> number",
  round: "number -> number",
  "numbers.range": "number, number -> array",
  "numbers.range_step": "number, number, number -> array",
  "rand.intn": "string, number -> number",
  to_number: "null|boolean|number|string -> number",
  "bits.or": "number, number -> number",
  "bits.and": "number, number -> number",
  "bits.negate": "number -> number",
  "bits.xor": "number, number -> number",
  "bits.lsh": "number, number -> number",
  "bits.rsh": "number, number -> number",
  // types
  is_number: "any -> boolean",
  is_string: "any -> boolean",
  is_boolean: "any -> boolean",
  is_array: "any -> boolean",
  is_set: "any -> boolean",
  is_object: "any -> boolean",
  is_null: "any -> boolean",
  type_name: "any -> string",
  // encoding
  "base64.encode": "string -> string",
  "base64.decode": "string -> string",
  "base64.is_valid": "string -> boolean",
  "base64url.encode": "string -> string",
  "base64url.encode_no_pad": "string -> string",
  "base64url.decode": "string -> string",
  "urlquery.encode": "string -> string",
  "urlquery.decode": "string -> string",
  "urlquery.encode_object": "object -> string",
  "urlquery.decode_object": "string -> object",
  "json.marshal": "any -> string",
  "json.marshal_with_options": "any, object -> string",
  "json.unmarshal": "string -> any",
  "json.is_valid": "string -> boolean",
  "yaml.marshal": "any -> string",
  "yaml.unmarshal": "string -> any",
  "yaml.is_valid": "string -> boolean",
  "hex.encode": "string -> string",
  "hex.decode": "string -> string",
  "json.verify_schema": "string|object -> array",
  "json.match_schema": "any, string|object -> array",
  // time
  "time.now_ns": " -> number",
  "time.parse_ns": "string, string -> number",
  "time.parse_rfc3339_ns": "string -> number",
  "time.parse_duration_ns": "string -> number",
  "time.date": "number|array -> array",
  "time.clock": "number|array -> array",
  "time.weekday": "number|array -> string",
  "time.add_date": "number|array, number, number, number -> number",
  "time.diff": "number|array, number|array -> array",
  "time.format": "number|array -> string",
  // units, uuid, semver
  "units.parse": "string -> number",
  "units.parse_bytes": "string -> number",
  "uuid.rfc4122": "string -> string",
  "uuid.parse": "string -> object",
  "semver.is_valid": "any -> boolean",
  "semver.compare": "string, string -> number",
  // crypto and tokens
  "crypto.sha256": "string -> string",
  "crypto.sha1": "string -> string",
  "crypto.md5": "string -> string",
  "crypto.hmac.sha256": "string, string -> string",
  "crypto.hmac.sha1": "string, string -> string",
  "crypto.hmac.sha512": "string, string -> string",
  "crypto.hmac.md5": "string, string -> string",
  "crypto.hmac.equal": "string, string -> boolean",
  "io.jwt.decode": "string -> array",
  "io.jwt.decode_verify": "string, object -> array",
  "io.jwt.encode_sign": "object, object, object -> string",
  "io.jwt.encode_sign_raw": "string, string, string -> string",
  "io.jwt.verify_hs256": "string, string -> boolean",
  "io.jwt.verify_hs384": "string, string -> boolean",
  "io.jwt.verify_hs512": "string, string -> boolean",
  "io.jwt.verify_rs256": "string, string -> boolean",
  "io.jwt.verify_rs384": "string, string -> boolean",
  "io.jwt.verify_rs512": "string, string -> boolean",
  "io.jwt.verify_ps256": "string, string -> boolean",
  "io.jwt.verify_ps384": "string, string -> boolean",
  "io.jwt.verify_ps512": "string, string -> boolean",
  "io.jwt.verify_es256": "string, string -> boolean",
  "io.jwt.verify_es384": "string, string -> boolean",
  "io.jwt.verify_es512": "string, string -> boolean",
  "io.jwt.verify_eddsa": "string, string -> boolean",
  // networks and graphs
  "net.cidr_contains": "string, string -> boolean",
  "net.cidr_intersects": "string, string -> boolean",
  "net.cidr_merge": "array|set -> set",
  "net.cidr_expand": "string -> set",
  "net.cidr_is_valid": "string -> boolean",
  "net.cidr_contains_matches": "string|array|set|object, string|array|set|object -> set",
  "graph.reachable": "object, array|set -> set",
  "graph.reachable_paths": "object, array|set -> set",
};

function parseType(text: string, builtin: string): TypeMask {
  const t = text.trim();
  if (t === "any") return ANY;
  let mask = 0;
  for (const k of t.split("|")) {
    const bit = KIND[k.trim() as KindName];
    if (bit === undefined) throw new Error(`builtin-types: ${builtin}: unknown kind "${k}"`);
    mask |= bit;
  }
  return mask;
}

function parseSignature(name: string, text: string): BuiltinType {
  const [args, result] = text.split("->");
  if (args === undefined || result === undefined) throw new Error(`builtin-types: ${name}: want "args -> result"`);
  return {
    args: args.trim() === "" ? [] : args.split(",").map((a) => parseType(a, name)),
    result: parseType(result, name),
  };
}

export const BUILTIN_TYPES: ReadonlyMap<string, BuiltinType> = new Map(
  Object.entries(SIGNATURES).map(([name, sig]) => [name, parseSignature(name, sig)]),
);

/** The kinds of a mask in words for messages: "a number", "an array or a set", "any value". */
export function describeType(mask: TypeMask): string {
  if (mask === ANY) return "any value";
  const words = (Object.keys(KIND) as KindName[])
    .filter((k) => (mask & KIND[k]) !== 0)
    .map((k) => (k === "array" || k === "object" ? `an ${k}` : k === "null" ? "null" : `a ${k}`));
  return words.length <= 1 ? (words[0] ?? "nothing") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}
