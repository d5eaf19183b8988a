// glob.match with the semantics of the gobwas/glob library OPA uses: `*` spans
// no delimiter, `**` spans anything, `?` one non-delimiter character, `[a-z]`
// / `[!a-z]` classes, `{a,b}` alternatives, `\` escapes. Delimiters `null`
// mean none; an empty array means the default ".".
import { builtinError, str, typeName, type HostBuiltinImpl } from "./types.js";

const cache = new Map<string, RegExp>();

const esc = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

export function globToRegExp(pattern: string, delimiters: string[]): RegExp {
  const key = JSON.stringify([pattern, delimiters]);
  const hit = cache.get(key);
  if (hit) return hit;
  const notDelim = delimiters.length ? `[^${delimiters.map(esc).join("")}]` : "[\\s\\S]";
  const chars = [...pattern];
  let i = 0;
  const parse = (inAlt: boolean): string => {
    let out = "";
    while (i < chars.length) {
      const c = chars[i]!;
      if (inAlt && (c === "," || c === "}")) return out;
      i++;
      if (c === "\\") {
        if (i >= chars.length) throw new Error("unexpected end of pattern after escape");
        out += esc(chars[i++]!);
      } else if (c === "*") {
        if (chars[i] === "*") {
          i++;
          out += "[\\s\\S]*";
        } else out += `${notDelim}*`;
      } else if (c === "?") out += notDelim;
      else if (c === "[") {
        let neg = false;
        if (chars[i] === "!") {
          neg = true;
          i++;
        }
        let cls = "";
        while (i < chars.length && chars[i] !== "]") {
          const x = chars[i++]!;
          if (x === "-" && cls !== "" && chars[i] !== "]") cls += "-";
          else cls += esc(x === "\\" ? chars[i++] ?? "" : x);
        }
        if (chars[i] !== "]") throw new Error("unclosed character class");
        i++;
        out += neg ? `(?:(?![${cls}])${notDelim})` : `[${cls}]`;
      } else if (c === "{") {
        const alts: string[] = [];
        for (;;) {
          alts.push(parse(true));
          if (i >= chars.length) throw new Error("unclosed alternatives");
          if (chars[i++] === "}") break;
        }
        out += `(?:${alts.join("|")})`;
      } else out += esc(c);
    }
    return out;
  };
  const re = new RegExp(`^${parse(false)}$`, "u");
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

export const globBuiltins: HostBuiltinImpl<"glob">[] = [
  {
    name: "glob.quote_meta",
    impl: (a) => str("glob.quote_meta", a, 0).replace(/[*?\\[\]{}]/g, "\\$&"),
  },
  {
    name: "glob.match",
    impl: (a) => {
      const n = "glob.match";
      const pattern = str(n, a, 0);
      const d = a[1];
      let delims: string[];
      if (d === null) delims = [];
      else if (Array.isArray(d)) {
        for (const x of d) if (typeof x !== "string") throw builtinError(n, `operand 2 must hold strings, got ${typeName(x)}`);
        delims = d.length === 0 ? ["."] : (d as string[]);
      } else throw builtinError(n, `operand 2 must be an array or null, got ${typeName(d)}`);
      const value = str(n, a, 2);
      let re: RegExp;
      try {
        re = globToRegExp(pattern, delims);
      } catch (e) {
        throw builtinError(n, `invalid pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
      }
      return re.test(value);
    },
  },
];
