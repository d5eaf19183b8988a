// Every built-in capgate supplies to compiled policies through the SDK's
// custom built-ins (OPA's `opa_builtinN` imports), one family per file. A
// family whose code pulls in a large package (graphql, ajv) is declared by a
// names file (name → arity) and its code imported only when a loaded policy
// calls one of its names (loadHostBuiltins), so a sidecar whose policy does
// not use them never loads those packages.
import { awsBuiltins } from "./aws.js";
import { cryptoBuiltins } from "./crypto.js";
import { deadlineBuiltins } from "./deadline.js";
import { globBuiltins } from "./glob.js";
import { graphqlNames } from "./graphql-names.js";
import { jsonBuiltins } from "./json.js";
import { jsonSchemaNames } from "./json-schema-names.js";
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
import { builtinError, type HostBuiltin, type HostImpl } from "./types.js";
import { uriBuiltins } from "./uri.js";
import { urlqueryBuiltins } from "./urlquery.js";
import { uuidBuiltins } from "./uuid.js";
import { x509Builtins } from "./x509.js";
import { yamlBuiltins } from "./yaml.js";

export type { HostBuiltin, HostContext } from "./types.js";
export { parseJsonExact, toJsonText, toJsonTextPretty } from "./types.js";

interface LazyFamily {
  names: Readonly<Record<string, number>>;
  load: () => Promise<Readonly<Record<string, HostImpl>>>;
}

const lazyFamilies: Record<string, LazyFamily> = {
  graphql: { names: graphqlNames, load: async () => (await import("./graphql.js")).graphqlImpls },
  "json-schema": { names: jsonSchemaNames, load: async () => (await import("./json-schema.js")).jsonSchemaImpls },
};

/** A lazy family's built-ins; each impl is replaced by the real one once loadHostBuiltins has imported it. */
function declared(family: LazyFamily): HostBuiltin[] {
  return Object.entries(family.names).map(([name, arity]) => ({
    name,
    arity,
    impl: () => {
      // Fail closed: reached only if a caller evaluates without loading what the module imports.
      throw builtinError(name, "its implementation is not loaded");
    },
  }));
}

export const hostBuiltinFamilies: Record<string, HostBuiltin[]> = {
  aws: awsBuiltins,
  crypto: cryptoBuiltins,
  deadline: deadlineBuiltins,
  glob: globBuiltins,
  graphql: declared(lazyFamilies["graphql"]!),
  json: jsonBuiltins,
  "json-schema": declared(lazyFamilies["json-schema"]!),
  jwt: jwtBuiltins,
  net: netBuiltins,
  print: printBuiltins,
  rand: randBuiltins,
  regex: regexBuiltins,
  "regex-globs": regexGlobsBuiltins,
  semver: semverBuiltins,
  strings: stringsBuiltins,
  template: templateBuiltins,
  time: timeBuiltins,
  "time-zone": timeZoneBuiltins,
  uri: uriBuiltins,
  urlquery: urlqueryBuiltins,
  uuid: uuidBuiltins,
  x509: x509Builtins,
  yaml: yamlBuiltins,
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
  const families = Object.keys(lazyFamilies).filter((f) => Object.keys(lazyFamilies[f]!.names).some((n) => wanted.has(n)));
  await Promise.all(families.map((f) => loadFamily(f)));
}

function loadFamily(family: string): Promise<void> {
  let p = loading.get(family);
  if (p === undefined) {
    p = lazyFamilies[family]!.load().then((impls) => {
      for (const b of hostBuiltinFamilies[family]!) b.impl = impls[b.name]!;
    });
    // A failed import may be retried by the next module that needs the family.
    p.catch(() => loading.delete(family));
    loading.set(family, p);
  }
  return p;
}
