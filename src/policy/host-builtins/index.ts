// Every built-in capgate supplies to compiled policies through the SDK's
// custom built-ins (OPA's `opa_builtinN` imports), one family per file.
import { awsBuiltins } from "./aws.js";
import { cryptoBuiltins } from "./crypto.js";
import { deadlineBuiltins } from "./deadline.js";
import { globBuiltins } from "./glob.js";
import { graphqlBuiltins } from "./graphql.js";
import { jsonBuiltins } from "./json.js";
import { jsonSchemaBuiltins } from "./json-schema.js";
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
import type { HostBuiltin } from "./types.js";
import { uriBuiltins } from "./uri.js";
import { urlqueryBuiltins } from "./urlquery.js";
import { uuidBuiltins } from "./uuid.js";
import { x509Builtins } from "./x509.js";
import { yamlBuiltins } from "./yaml.js";

export type { HostBuiltin, HostContext } from "./types.js";
export { parseJsonExact, toJsonText, toJsonTextPretty } from "./types.js";

export const hostBuiltinFamilies: Record<string, HostBuiltin[]> = {
  aws: awsBuiltins,
  crypto: cryptoBuiltins,
  deadline: deadlineBuiltins,
  glob: globBuiltins,
  graphql: graphqlBuiltins,
  json: jsonBuiltins,
  "json-schema": jsonSchemaBuiltins,
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
