// The Rego built-ins capgate knows, by name: how many arguments each takes, and
// whether it is a relation (may produce several outputs, like `walk`) or takes
// any number of arguments (`print`). The compiler checks calls against this
// table; the planner emits `Call` with the Rego name. Keep it data.

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

/** [name, arity, flags] rows; grouped by family as in OPA's documentation. */
const ROWS: Array<[string, number, ("relation" | "varargs" | "absent")?]> = [
  // operators (the parser turns infix syntax into these calls)
  ["eq", 2], ["assign", 2], ["equal", 2], ["neq", 2], ["lt", 2], ["lte", 2], ["gt", 2], ["gte", 2],
  ["plus", 2], ["minus", 2], ["mul", 2], ["div", 2], ["rem", 2], ["and", 2], ["or", 2],
  ["internal.member_2", 2], ["internal.member_3", 3], ["internal.print", 1], ["print", 0, "varargs"],
  ["internal.template_string", 1],
  // aggregates
  ["count", 1], ["sum", 1], ["product", 1], ["max", 1], ["min", 1], ["sort", 1], ["all", 1], ["any", 1],
  // arrays and sets
  ["array.concat", 2], ["array.slice", 3], ["array.reverse", 1], ["array.flatten", 1], ["intersection", 1], ["union", 1], ["set_diff", 2],
  // objects
  ["object.get", 3], ["object.remove", 2], ["object.union", 2], ["object.union_n", 1], ["object.filter", 2],
  ["object.keys", 1], ["object.subset", 2], ["json.filter", 2], ["json.remove", 2], ["json.patch", 2],
  // strings
  ["concat", 2], ["contains", 2], ["endswith", 2], ["startswith", 2], ["format_int", 2], ["indexof", 2],
  ["indexof_n", 2], ["lower", 1], ["upper", 1], ["replace", 3], ["split", 2], ["sprintf", 2],
  ["strings.any_prefix_match", 2], ["strings.any_suffix_match", 2], ["strings.replace_n", 2],
  ["strings.reverse", 1], ["strings.count", 2], ["strings.render_template", 2], ["strings.split_n", 3], ["substring", 3],
  ["trim", 2], ["trim_left", 2], ["trim_right", 2], ["trim_prefix", 2], ["trim_suffix", 2], ["trim_space", 1],
  // regular expressions and globs
  ["regex.match", 2], ["re_match", 2], ["regex.is_valid", 1], ["regex.split", 2], ["regex.find_n", 3],
  ["regex.find_all_string_submatch_n", 3], ["regex.replace", 3], ["regex.template_match", 4],
  ["regex.globs_match", 2], ["glob.match", 3], ["glob.quote_meta", 1],
  // numbers and bits
  ["abs", 1], ["ceil", 1], ["floor", 1], ["round", 1], ["numbers.range", 2], ["numbers.range_step", 3],
  ["rand.intn", 2], ["to_number", 1], ["bits.or", 2], ["bits.and", 2], ["bits.negate", 1], ["bits.xor", 2],
  ["bits.lsh", 2], ["bits.rsh", 2],
  // types and casts
  ["is_number", 1], ["is_string", 1], ["is_boolean", 1], ["is_array", 1], ["is_set", 1], ["is_object", 1],
  ["is_null", 1], ["type_name", 1], ["cast_array", 1], ["cast_set", 1], ["cast_string", 1],
  ["cast_boolean", 1], ["cast_null", 1], ["cast_object", 1],
  // encoding
  ["base64.encode", 1], ["base64.decode", 1], ["base64.is_valid", 1], ["base64url.encode", 1],
  ["base64url.encode_no_pad", 1], ["base64url.decode", 1], ["urlquery.encode", 1], ["urlquery.decode", 1],
  ["urlquery.encode_object", 1], ["urlquery.decode_object", 1], ["uri.parse", 1], ["uri.is_valid", 1], ["json.marshal", 1],
  ["json.marshal_with_options", 2], ["json.unmarshal", 1], ["json.is_valid", 1], ["yaml.marshal", 1],
  ["yaml.unmarshal", 1], ["yaml.is_valid", 1], ["hex.encode", 1], ["hex.decode", 1],
  ["json.verify_schema", 1], ["json.match_schema", 2],
  // graphql
  ["graphql.parse", 2], ["graphql.parse_and_verify", 2], ["graphql.parse_query", 1], ["graphql.parse_schema", 1],
  ["graphql.is_valid", 2], ["graphql.schema_is_valid", 1],
  // time
  ["time.now_ns", 0], ["time.parse_ns", 2], ["time.parse_rfc3339_ns", 1], ["time.parse_duration_ns", 1],
  ["time.date", 1], ["time.clock", 1], ["time.weekday", 1], ["time.add_date", 4], ["time.diff", 2],
  ["time.format", 1],
  // units, uuid, semver
  ["units.parse", 1], ["units.parse_bytes", 1], ["uuid.rfc4122", 1], ["uuid.parse", 1],
  ["semver.is_valid", 1], ["semver.compare", 2],
  // crypto and tokens
  ["crypto.sha256", 1], ["crypto.sha1", 1], ["crypto.md5", 1], ["crypto.hmac.sha256", 2],
  ["crypto.hmac.sha1", 2], ["crypto.hmac.sha512", 2], ["crypto.hmac.md5", 2], ["crypto.hmac.equal", 2],
  ["crypto.x509.parse_certificates", 1], ["crypto.x509.parse_and_verify_certificates", 1],
  ["crypto.x509.parse_and_verify_certificates_with_options", 2],
  ["crypto.x509.parse_certificate_request", 1], ["crypto.x509.parse_rsa_private_key", 1],
  ["crypto.x509.parse_keypair", 2], ["crypto.parse_private_keys", 1],
  ["io.jwt.decode", 1], ["io.jwt.decode_verify", 2], ["io.jwt.encode_sign", 3], ["io.jwt.encode_sign_raw", 3],
  ["io.jwt.verify_hs256", 2], ["io.jwt.verify_hs384", 2], ["io.jwt.verify_hs512", 2],
  ["io.jwt.verify_rs256", 2], ["io.jwt.verify_rs384", 2], ["io.jwt.verify_rs512", 2],
  ["io.jwt.verify_ps256", 2], ["io.jwt.verify_ps384", 2], ["io.jwt.verify_ps512", 2],
  ["io.jwt.verify_es256", 2], ["io.jwt.verify_es384", 2], ["io.jwt.verify_es512", 2], ["io.jwt.verify_eddsa", 2],
  // networks, graphs, misc
  ["net.cidr_contains", 2], ["net.cidr_intersects", 2], ["net.cidr_merge", 1], ["net.cidr_expand", 1],
  ["net.cidr_is_valid", 1], ["net.cidr_contains_matches", 2], ["net.cidr_overlap", 2], ["net.lookup_ip_addr", 1, "absent"],
  ["graph.reachable", 2], ["graph.reachable_paths", 2], ["walk", 1, "relation"], ["trace", 1],
  ["opa.runtime", 0, "absent"], ["http.send", 1, "absent"], ["rego.parse_module", 2, "absent"],
  ["rego.metadata.chain", 0], ["rego.metadata.rule", 0], ["providers.aws.sign_req", 3],
];

export const BUILTINS: ReadonlyMap<string, BuiltinDecl> = new Map(
  ROWS.map(([name, arity, flag]) => [
    name,
    {
      arity,
      ...(flag === "relation" ? { relation: true } : {}),
      ...(flag === "varargs" ? { varargs: true } : {}),
      ...(flag === "absent" ? { absent: true } : {}),
    },
  ]),
);

/** Built-ins whose names are operators, not user-visible functions (for messages). */
export const OPERATOR_SYMBOLS: Readonly<Record<string, string>> = {
  eq: "=", assign: ":=", equal: "==", neq: "!=", lt: "<", lte: "<=", gt: ">", gte: ">=",
  plus: "+", minus: "-", mul: "*", div: "/", rem: "%", and: "&", or: "|",
};
