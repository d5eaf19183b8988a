// Every built-in capgate supplies to compiled policies through the SDK's
// custom built-ins (OPA's `opa_builtinN` imports), one family per file, each
// implementing the names its family declares (with their arities) in
// src/wasm-abi's HOST_BUILTINS_TABLE. A family whose code pulls in a large
// package (graphql, ajv) is imported only when a loaded policy calls one of its
// names (loadHostBuiltins), so a sidecar whose policy does not use them never
// loads those packages.
import { awsBuiltins } from "./aws.js";
import { cryptoBuiltins } from "./crypto.js";
import { deadlineBuiltins } from "./deadline.js";
import { globBuiltins } from "./glob.js";
import { jsonBuiltins } from "./json.js";
import { jwtBuiltins } from "./jwt.js";
import { netBuiltins } from "./net.js";
import { printBuiltins } from "./print.js";
import { randBuiltins } from "./rand.js";
import { regexBuiltins } from "./regex.js";
import { regexGlobsBuiltins } from "./regex-globs.js";
import { semverBuiltins } from "./semver.js";
import { stringsBuiltins } from "./sprintf.js";
import { templateBuiltins } from "./template.js";
import { timeBuiltins } from "./time.js";
import { timeZoneBuiltins } from "./time-zone.js";
import { HOST_BUILTINS_TABLE, type HostFamily } from "../../wasm-abi/index.js";
import { builtinError, type HostBuiltin, type HostBuiltinImpl, type HostImpl } from "./types.js";
import { uriBuiltins } from "./uri.js";
import { urlqueryBuiltins } from "./urlquery.js";
import { uuidBuiltins } from "./uuid.js";
import { x509Builtins } from "./x509.js";
import { yamlBuiltins } from "./yaml.js";

export type { HostBuiltin, HostContext } from "./types.js";
export { parseJsonExact, toJsonText, toJsonTextPretty } from "./types.js";

/** The names a family declares, with their arities. */
const declaredBy = (family: HostFamily): Readonly<Record<string, number>> => HOST_BUILTINS_TABLE[family];

/** A family's implementations with the arities it declares; a name it does not declare is a programming error. */
function family<F extends HostFamily>(name: F, impls: readonly HostBuiltinImpl<F>[]): HostBuiltin[] {
  const arities = declaredBy(name);
  return impls.map((b) => {
    const arity = arities[b.name];
    if (arity === undefined) throw new Error(`host built-in ${b.name} is not declared by the ${name} family (src/wasm-abi)`);
    return { name: b.name, arity, impl: b.impl };
  });
}

const lazyFamilies: Partial<Record<HostFamily, () => Promise<Readonly<Record<string, HostImpl>>>>> = {
  graphql: async () => (await import("./graphql.js")).graphqlImpls,
  "json-schema": async () => (await import("./json-schema.js")).jsonSchemaImpls,
};

/** A lazy family's built-ins; each impl is replaced by the real one once loadHostBuiltins has imported it. */
function declared(family: HostFamily): HostBuiltin[] {
  return Object.entries(declaredBy(family)).map(([name, arity]) => ({
    name,
    arity,
    impl: () => {
      // Fail closed: reached only if a caller evaluates without loading what the module imports.
      throw builtinError(name, "its implementation is not loaded");
    },
  }));
}

/** Every family's built-ins, keyed as HOST_BUILTINS_TABLE keys them (tsc holds the two key sets equal). */
export const hostBuiltinFamilies: Record<HostFamily, HostBuiltin[]> = {
  aws: family("aws", awsBuiltins),
  crypto: family("crypto", cryptoBuiltins),
  deadline: family("deadline", deadlineBuiltins),
  glob: family("glob", globBuiltins),
  graphql: declared("graphql"),
  json: family("json", jsonBuiltins),
  "json-schema": declared("json-schema"),
  jwt: family("jwt", jwtBuiltins),
  net: family("net", netBuiltins),
  print: family("print", printBuiltins),
  rand: family("rand", randBuiltins),
  regex: family("regex", regexBuiltins),
  "regex-globs": family("regex-globs", regexGlobsBuiltins),
  semver: family("semver", semverBuiltins),
  strings: family("strings", stringsBuiltins),
  template: family("template", templateBuiltins),
  time: family("time", timeBuiltins),
  "time-zone": family("time-zone", timeZoneBuiltins),
  uri: family("uri", uriBuiltins),
  urlquery: family("urlquery", urlqueryBuiltins),
  uuid: family("uuid", uuidBuiltins),
  x509: family("x509", x509Builtins),
  yaml: family("yaml", yamlBuiltins),
};

export const hostBuiltins: ReadonlyMap<string, HostBuiltin> = new Map(
  Object.values(hostBuiltinFamilies)
    .flat()
    .map((b) => [b.name, b]),
);

const loading = new Map<string, Promise<void>>();

/**
 * Imports the code of every lazy family one of `names` belongs to (once per
 * process) and puts it in place in hostBuiltins. Instantiating a module awaits
 * this for the built-ins the module imports, before anything evaluates it.
 */
export async function loadHostBuiltins(names: Iterable<string>): Promise<void> {
  const wanted = new Set(names);
  const families = (Object.keys(lazyFamilies) as HostFamily[]).filter((f) => Object.keys(declaredBy(f)).some((n) => wanted.has(n)));
  await Promise.all(families.map((f) => loadFamily(f)));
}

function loadFamily(family: HostFamily): Promise<void> {
  const load = lazyFamilies[family];
  if (load === undefined) return Promise.resolve();
  let p = loading.get(family);
  if (p === undefined) {
    p = load().then((impls) => {
      for (const b of hostBuiltinFamilies[family]) b.impl = impls[b.name]!;
    });
    // A failed import may be retried by the next module that needs the family.
    p.catch(() => loading.delete(family));
    loading.set(family, p);
  }
  return p;
}
