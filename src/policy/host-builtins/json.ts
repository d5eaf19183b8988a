// json.* built-ins OPA leaves to the host. Marshalling follows Go's
// encoding/json as OPA uses it: object keys sorted, `<`, `>`, `&` and the
// line separators escaped as \u00XX, so output is byte-identical to OPA's.
import { applyJsonPatch } from "./json-patch.js";
import { arr, builtinError, obj, str, toJsonText, toJsonTextPretty, typeName, type HostBuiltinImpl } from "./types.js";

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

const goEscape = (s: string): string =>
  s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export function goJsonMarshal(v: unknown, indent?: { prefix: string; indent: string }): string {
  const sorted = sortKeys(v);
  if (!indent) return goEscape(toJsonText(sorted));
  const text = indent.indent === "" ? toJsonText(sorted) : toJsonTextPretty(sorted, "", indent.indent);
  const lines = goEscape(text).split("\n");
  return lines.map((l, i) => (i === 0 ? l : indent.prefix + l)).join("\n");
}

export const jsonBuiltins: HostBuiltinImpl<"json">[] = [
  { name: "json.patch", impl: (a) => applyJsonPatch(a[0], arr("json.patch", a, 1)) },
  { name: "json.marshal", impl: (a) => goJsonMarshal(a[0]) },
  {
    name: "json.marshal_with_options",
    impl: (a) => {
      const n = "json.marshal_with_options";
      const opts = obj(n, a, 1);
      let pretty = false;
      let prefix = "";
      let indent = "\t";
      let indentGiven = false;
      for (const [k, v] of Object.entries(opts)) {
        if (k === "pretty") {
          if (typeof v !== "boolean") throw builtinError(n, `option pretty must be a boolean, got ${typeName(v)}`);
          pretty = v;
        } else if (k === "prefix" || k === "indent") {
          if (typeof v !== "string") throw builtinError(n, `option ${k} must be a string, got ${typeName(v)}`);
          if (k === "prefix") prefix = v;
          else indent = v;
          indentGiven = true;
        } else throw builtinError(n, `unknown option ${JSON.stringify(k)} (expected pretty, prefix, indent)`);
      }
      if (!pretty && !("pretty" in opts && opts["pretty"] === false) && indentGiven) pretty = true;
      return pretty ? goJsonMarshal(a[0], { prefix, indent }) : goJsonMarshal(a[0]);
    },
  },
  {
    name: "json.unmarshal",
    impl: (a) => {
      const s = str("json.unmarshal", a, 0);
      try {
        return JSON.parse(s) as unknown;
      } catch (e) {
        throw builtinError("json.unmarshal", `invalid JSON: ${(e as Error).message}`);
      }
    },
  },
  {
    name: "json.is_valid",
    impl: (a) => {
      if (typeof a[0] !== "string") return false;
      try {
        JSON.parse(a[0]);
        return true;
      } catch {
        return false;
      }
    },
  },
];
