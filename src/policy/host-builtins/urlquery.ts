// urlquery.* with Go's net/url QueryEscape / ParseQuery / Values.Encode
// semantics (space as "+", unreserved characters kept, keys sorted).
import { builtinError, obj, str, typeName, type HostBuiltinImpl } from "./types.js";

export function queryEscape(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function queryUnescape(name: string, s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "+") bytes.push(0x20);
    else if (c === "%") {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw builtinError(name, `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(h, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

export const urlqueryBuiltins: HostBuiltinImpl<"urlquery">[] = [
  { name: "urlquery.encode", impl: (a) => queryEscape(str("urlquery.encode", a, 0)) },
  { name: "urlquery.decode", impl: (a) => queryUnescape("urlquery.decode", str("urlquery.decode", a, 0)) },
  {
    name: "urlquery.encode_object",
    impl: (a) => {
      const n = "urlquery.encode_object";
      const o = obj(n, a, 0);
      const parts: string[] = [];
      for (const k of Object.keys(o).sort()) {
        const v = o[k];
        const values = typeof v === "string" ? [v] : Array.isArray(v) ? v : undefined;
        if (!values || values.some((x) => typeof x !== "string")) {
          throw builtinError(n, `value of ${JSON.stringify(k)} must be a string or an array/set of strings, got ${typeName(v)}`);
        }
        for (const x of values as string[]) parts.push(`${queryEscape(k)}=${queryEscape(x)}`);
      }
      return parts.join("&");
    },
  },
  {
    name: "urlquery.decode_object",
    impl: (a) => {
      const n = "urlquery.decode_object";
      const out: Record<string, string[]> = {};
      for (const part of str(n, a, 0).split("&")) {
        if (part === "") continue;
        if (part.includes(";")) throw builtinError(n, "invalid semicolon separator in query");
        const eq = part.indexOf("=");
        const k = queryUnescape(n, eq < 0 ? part : part.slice(0, eq));
        const v = eq < 0 ? "" : queryUnescape(n, part.slice(eq + 1));
        (out[k] ??= []).push(v);
      }
      return out;
    },
  },
];
