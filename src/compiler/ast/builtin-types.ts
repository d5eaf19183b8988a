// The argument and result types of the built-ins, as OPA declares them in
// ast/builtins.go, reduced to the outer kind of each value (a number, an
// array, ...) and, for some arrays and sets, the kind of what they hold
// (`array<string>`; nothing deeper). CheckTypes uses them to reject calls
// whose argument can never have the wanted kind, such as `count(1)`, as OPA's
// type checker does. A built-in missing here is not type checked; arities live
// in builtin-decls, and a test keeps the two tables in step. Where OPA's
// evaluator takes more than its declaration says (time.add_date takes [ns, tz]
// as the other time built-ins do), the declaration is used, as opa check
// rejects what it does not allow; a value of unknown type still reaches the
// evaluator. Keep it data.

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

/** A value's kinds and, where it is an array or a set, the kinds of what it holds. */
export interface ValueType {
  kinds: TypeMask;
  elements: TypeMask;
  /** When set, an array is only one of these fixed shapes (OPA's static array types, as `[number, string]`), item kinds in order. */
  tuples?: TypeMask[][];
}

export interface BuiltinType {
  args: ValueType[];
  result: ValueType;
}

/**
 * `"a, b -> r"`, where each of a, b, r is `any` or kinds joined by `|`; an
 * array or a set may name what it holds: `array<string>|set<string>`, and an
 * array of fixed shape lists its items' kinds: `number|[number string]`.
 */
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
  sum: "array<number>|set<number> -> number",
  product: "array<number>|set<number> -> number",
  max: "array|set -> any",
  min: "array|set -> any",
  sort: "array|set -> array",
  // arrays and sets
  "array.concat": "array, array -> array",
  "array.slice": "array, number, number -> array",
  "array.reverse": "array -> array",
  intersection: "set<set> -> set",
  union: "set<set> -> set",
  // objects
  "object.get": "object, any, any -> any",
  "object.remove": "object, array|object|set -> object",
  "object.union": "object, object -> object",
  "object.union_n": "array<object> -> object",
  "object.filter": "object, array|object|set -> object",
  "object.keys": "object -> set",
  "object.subset": "array|object|set, array|object|set -> boolean",
  "json.filter": "object, array|set -> any",
  "json.remove": "object, array|set -> any",
  "json.patch": "any, array<object> -> any",
  // strings
  concat: "string, array<string>|set<string> -> string",
  contains: "string, string -> boolean",
  endswith: "string, string -> boolean",
  startswith: "string, string -> boolean",
  format_int: "number, number -> string",
  indexof: "string, string -> number",
  indexof_n: "string, string -> array<number>",
  lower: "string -> string",
  upper: "string -> string",
  replace: "string, string, string -> string",
  split: "string, string -> array<string>",
  sprintf: "string, array -> string",
  "strings.any_prefix_match": "string|array<string>|set<string>, string|array<string>|set<string> -> boolean",
  "strings.any_suffix_match": "string|array<string>|set<string>, string|array<string>|set<string> -> boolean",
  "strings.replace_n": "object, string -> string",
  "strings.reverse": "string -> string",
  "strings.count": "string, string -> number",
  "strings.render_template": "string, object -> string",
  "internal.template_string": "array -> string",
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
  "regex.split": "string, string -> array<string>",
  "regex.find_n": "string, string, number -> array<string>",
  "regex.find_all_string_submatch_n": "string, string, number -> array",
  "regex.replace": "string, string, string -> string",
  "regex.template_match": "string, string, string, string -> boolean",
  "regex.globs_match": "string, string -> boolean",
  "glob.match": "string, array<string>|null, string -> boolean",
  "glob.quote_meta": "string -> string",
  // numbers and bits
  abs: "number -> number",
  ceil: "number -> number",
  floor: "number -> number",
  round: "number -> number",
  "numbers.range": "number, number -> array<number>",
  "numbers.range_step": "number, number, number -> array<number>",
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
  "time.date": "number|[number string] -> array<number>",
  "time.clock": "number|[number string] -> array<number>",
  "time.weekday": "number|[number string] -> string",
  "time.add_date": "number, number, number, number -> number",
  "time.diff": "number|[number string], number|[number string] -> array<number>",
  "time.format": "number|[number string]|[number string string] -> string",
  // units, uuid, semver
  // built-ins added with issue 15 (OPA's declarations in its capabilities JSON)
  "array.flatten": "array -> array",
  set_diff: "set, set -> set",
  "strings.split_n": "string, string, number -> array<string>",
  "uri.parse": "string -> object",
  "uri.is_valid": "string -> boolean",
  "graphql.parse": "string|object, string|object -> array",
  "graphql.parse_and_verify": "string|object, string|object -> array",
  "graphql.parse_query": "string -> object",
  "graphql.parse_schema": "string -> object",
  "graphql.is_valid": "string|object, string|object -> boolean",
  "graphql.schema_is_valid": "string|object -> boolean",
  "crypto.x509.parse_certificates": "string -> array",
  "crypto.x509.parse_and_verify_certificates": "string -> array",
  "crypto.x509.parse_and_verify_certificates_with_options": "string, object -> array",
  "crypto.x509.parse_certificate_request": "string -> object",
  "crypto.x509.parse_rsa_private_key": "string -> object",
  "crypto.x509.parse_keypair": "string, string -> object",
  "crypto.parse_private_keys": "string -> array",
  "net.cidr_overlap": "string, string -> boolean",
  "providers.aws.sign_req": "object, object, number -> object",
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
  "net.cidr_merge": "array<string>|set<string> -> set<string>",
  "net.cidr_expand": "string -> set<string>",
  "net.cidr_is_valid": "string -> boolean",
  "net.cidr_contains_matches": "string|array|set|object, string|array|set|object -> set",
  "graph.reachable": "object, array|set -> set",
  "graph.reachable_paths": "object, array|set -> set",
};

function parseType(text: string, builtin: string): ValueType {
  const t = text.trim();
  if (t === "any") return { kinds: ANY, elements: ANY };
  let kinds = 0;
  let elements = 0;
  const tuples: TypeMask[][] = [];
  for (const alternative of t.split("|")) {
    const shape = /^\[([\w ]+)\]$/.exec(alternative.trim());
    if (shape) {
      kinds |= KIND.array;
      tuples.push(shape[1]!.trim().split(/ +/).map((k) => parseType(k, builtin).kinds));
      continue;
    }
    const m = /^(\w+)(?:<(\w+)>)?$/.exec(alternative.trim());
    const bit = m ? KIND[m[1] as KindName] : undefined;
    if (m === null || bit === undefined) throw new Error(`builtin-types: ${builtin}: unknown kind "${alternative}"`);
    kinds |= bit;
    if (bit === KIND.array || bit === KIND.set) {
      const held = m[2] === undefined || m[2] === "any" ? ANY : KIND[m[2] as KindName];
      if (held === undefined) throw new Error(`builtin-types: ${builtin}: unknown kind "${m[2]}"`);
      elements |= held;
    }
  }
  const out: ValueType = { kinds, elements: elements === 0 ? ANY : elements };
  if (tuples.length > 0) out.tuples = tuples;
  return out;
}

/** A type's fixed array shapes in words: "[number, string] or [number, string, string]". */
export function describeTuples(tuples: TypeMask[][]): string {
  return orList(tuples.map((items) => `[${items.map((m) => kindsOf(m).join("|")).join(", ")}]`));
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
  return orList(kindsOf(mask).map((k) => (k === "array" || k === "object" ? `an ${k}` : k === "null" ? "null" : `a ${k}`)));
}

/** Kinds in the plural, for what a collection holds: "strings", "numbers or strings". */
export function describeElements(mask: TypeMask): string {
  if (mask === ANY) return "values";
  return orList(kindsOf(mask).map((k) => (k === "null" ? "nulls" : `${k}s`)));
}

function kindsOf(mask: TypeMask): KindName[] {
  return (Object.keys(KIND) as KindName[]).filter((k) => (mask & KIND[k]) !== 0);
}

function orList(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "nothing") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}
