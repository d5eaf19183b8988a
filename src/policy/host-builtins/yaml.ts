// yaml.* built-ins, with the `yaml` package. Documents parse as YAML 1.2 (Go's
// yaml.v3 reads YAML 1.1 scalars such as `yes` as strings too, so they agree).
import { yaml } from "../../yaml-lazy.js";
import { builtinError, str, type HostBuiltinImpl } from "./types.js";

function parseYaml(name: string, s: string): unknown {
  const doc = yaml().parseDocument(s);
  if (doc.errors.length > 0) throw builtinError(name, `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  return doc.toJS() as unknown;
}

export const yamlBuiltins: HostBuiltinImpl<"yaml">[] = [
  { name: "yaml.marshal", impl: (a) => yaml().stringify(a[0], { sortMapEntries: true }) },
  { name: "yaml.unmarshal", impl: (a) => parseYaml("yaml.unmarshal", str("yaml.unmarshal", a, 0)) ?? null },
  {
    name: "yaml.is_valid",
    impl: (a) => {
      if (typeof a[0] !== "string") return false;
      return yaml().parseDocument(a[0]).errors.length === 0;
    },
  },
];
