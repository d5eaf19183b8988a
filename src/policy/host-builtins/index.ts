// Every built-in capgate supplies to compiled policies through the SDK's
// custom built-ins (OPA's `opa_builtinN` imports), one family per file.
import { cryptoBuiltins } from "./crypto.js";
import { globBuiltins } from "./glob.js";
import { jsonBuiltins } from "./json.js";
import { jwtBuiltins } from "./jwt.js";
import { regexBuiltins } from "./regex.js";
import { stringsBuiltins } from "./sprintf.js";
import { timeBuiltins } from "./time.js";
import type { HostBuiltin } from "./types.js";
import { uuidBuiltins } from "./uuid.js";
import { yamlBuiltins } from "./yaml.js";

export type { HostBuiltin, HostContext } from "./types.js";
export { toJsonText } from "./types.js";

export const hostBuiltinFamilies: Record<string, HostBuiltin[]> = {
  crypto: cryptoBuiltins,
  glob: globBuiltins,
  json: jsonBuiltins,
  jwt: jwtBuiltins,
  regex: regexBuiltins,
  strings: stringsBuiltins,
  time: timeBuiltins,
  uuid: uuidBuiltins,
  yaml: yamlBuiltins,
};

export const hostBuiltins: ReadonlyMap<string, HostBuiltin> = new Map(
  Object.values(hostBuiltinFamilies)
    .flat()
    .map((b) => [b.name, b]),
);
