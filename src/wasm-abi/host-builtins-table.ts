// The built-ins a host supplies to a module through OPA's `opa_builtinN` imports,
// by family (one file each under src/policy/host-builtins/): name → arity. This is
// each one's only declaration, as builtins-table.ts is for the in-Wasm ones: the
// family's code implements exactly these names (HostBuiltinName types it, a test
// holds it to all of them), the host checks each call's operand count against it,
// and the compiler declares its Rego built-ins from the two tables. Names starting
// with `$` are the runtime's own host calls (runtime-abi.ts), not Rego built-ins.
// Some names are also in-Wasm built-ins: the host answers them for modules built
// elsewhere (`opa build -t wasm` imports them), with the same arity.

import { AWS_SIGN_BUILTIN, DEADLINE_BUILTIN, TZ_OFFSET_BUILTIN, type RuntimeGlobalName } from "./runtime-abi.js";

export const HOST_BUILTINS_TABLE = {
  aws: { [AWS_SIGN_BUILTIN]: 3 },
  crypto: {
    "crypto.md5": 1,
    "crypto.sha1": 1,
    "crypto.sha256": 1,
    "crypto.hmac.md5": 2,
    "crypto.hmac.sha1": 2,
    "crypto.hmac.sha256": 2,
    "crypto.hmac.sha512": 2,
    "crypto.hmac.equal": 2,
  },
  deadline: { [DEADLINE_BUILTIN]: 0 },
  glob: { "glob.quote_meta": 1, "glob.match": 3 },
  graphql: {
    "graphql.parse_query": 1,
    "graphql.parse_schema": 1,
    "graphql.parse": 2,
    "graphql.parse_and_verify": 2,
    "graphql.is_valid": 2,
    "graphql.schema_is_valid": 1,
  },
  json: {
    "json.patch": 2,
    "json.marshal": 1,
    "json.marshal_with_options": 2,
    "json.unmarshal": 1,
    "json.is_valid": 1,
  },
  "json-schema": { "json.verify_schema": 1, "json.match_schema": 2 },
  jwt: {
    "io.jwt.decode": 1,
    "io.jwt.decode_verify": 2,
    "io.jwt.encode_sign_raw": 3,
    "io.jwt.encode_sign": 3,
    "io.jwt.verify_hs256": 2,
    "io.jwt.verify_hs384": 2,
    "io.jwt.verify_hs512": 2,
    "io.jwt.verify_rs256": 2,
    "io.jwt.verify_rs384": 2,
    "io.jwt.verify_rs512": 2,
    "io.jwt.verify_ps256": 2,
    "io.jwt.verify_ps384": 2,
    "io.jwt.verify_ps512": 2,
    "io.jwt.verify_es256": 2,
    "io.jwt.verify_es384": 2,
    "io.jwt.verify_es512": 2,
    "io.jwt.verify_eddsa": 2,
  },
  net: { "net.cidr_is_valid": 1, "net.cidr_expand": 1 },
  print: { "internal.print": 1 },
  rand: { "rand.intn": 2 },
  regex: {
    "re_match": 2,
    "regex.match": 2,
    "regex.is_valid": 1,
    "regex.find_n": 3,
    "regex.find_all_string_submatch_n": 3,
    "regex.replace": 3,
    "regex.split": 2,
    "regex.template_match": 4,
  },
  "regex-globs": { "regex.globs_match": 2 },
  semver: { "semver.compare": 2, "semver.is_valid": 1 },
  strings: { "sprintf": 2 },
  template: { "strings.render_template": 2 },
  time: {
    "time.now_ns": 0,
    "time.parse_rfc3339_ns": 1,
    "time.parse_duration_ns": 1,
    "time.parse_ns": 2,
    "time.format": 1,
    "time.date": 1,
    "time.clock": 1,
    "time.weekday": 1,
    "time.add_date": 4,
    "time.diff": 2,
  },
  "time-zone": { [TZ_OFFSET_BUILTIN]: 3 },
  uri: { "uri.parse": 1, "uri.is_valid": 1 },
  urlquery: {
    "urlquery.encode": 1,
    "urlquery.decode": 1,
    "urlquery.encode_object": 1,
    "urlquery.decode_object": 1,
  },
  uuid: { "uuid.parse": 1, "uuid.rfc4122": 1 },
  x509: {
    "crypto.x509.parse_certificates": 1,
    "crypto.x509.parse_and_verify_certificates": 1,
    "crypto.x509.parse_and_verify_certificates_with_options": 2,
    "crypto.x509.parse_certificate_request": 1,
    "crypto.x509.parse_keypair": 2,
    "crypto.x509.parse_rsa_private_key": 1,
    "crypto.parse_private_keys": 1,
  },
  yaml: { "yaml.marshal": 1, "yaml.unmarshal": 1, "yaml.is_valid": 1 },
} as const satisfies Readonly<Record<string, Readonly<Record<string, number>>>>;

export type HostFamily = keyof typeof HOST_BUILTINS_TABLE;

/** A name the family `F` (any family by default) declares. */
export type HostBuiltinName<F extends HostFamily = HostFamily> = F extends HostFamily ? keyof (typeof HOST_BUILTINS_TABLE)[F] & string : never;

/** Every host built-in's declared arity, by name. */
export const HOST_BUILTIN_ARITIES: ReadonlyMap<string, number> = new Map(
  Object.values(HOST_BUILTINS_TABLE).flatMap((family) => Object.entries(family)),
);

/**
 * Host built-ins that in-Wasm built-ins call themselves (builtins-table.ts
 * `host`): when the policy calls such a built-in, the emitter lists the host
 * built-in in builtins() and writes its id into the runtime global named here.
 */
export const RUNTIME_HOST_CALLS: Readonly<Record<string, { global: RuntimeGlobalName; arity: number }>> = {
  [TZ_OFFSET_BUILTIN]: { global: "capgate_tz_offset_builtin", arity: HOST_BUILTINS_TABLE["time-zone"][TZ_OFFSET_BUILTIN] },
  [AWS_SIGN_BUILTIN]: { global: "capgate_aws_sign_builtin", arity: HOST_BUILTINS_TABLE.aws[AWS_SIGN_BUILTIN] },
  "time.now_ns": { global: "capgate_now_ns_builtin", arity: HOST_BUILTINS_TABLE.time["time.now_ns"] },
};
