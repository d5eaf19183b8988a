// regex.* built-ins: RE2 patterns (see re2.ts for the translation and its
// gaps) evaluated with JavaScript's RegExp, with Go's regexp semantics for
// find-all, split and `$1` / `${name}` replacement templates.
import { builtinError, int, str, type HostBuiltinImpl } from "./types.js";
import { compileRe2, findAll } from "./re2.js";

function re(name: string, pattern: string, global = false): RegExp {
  try {
    return compileRe2(pattern, global);
  } catch (e) {
    throw builtinError(name, `invalid pattern ${JSON.stringify(pattern)}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Go's Regexp.Expand for ReplaceAllString: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, tok: string, braced?: string, bare?: string) => {
    if (tok === "$") return "$";
    const ref = braced ?? bare ?? "";
    if (/^[0-9]+$/.test(ref)) return m[Number(ref)] ?? "";
    return m.groups?.[ref] ?? "";
  });
}

function split(r: RegExp, s: string): string[] {
  if (s === "") return [""];
  const matches = findAll(r, s, -1);
  const parts: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    end = m.index;
    if (m.index + m[0].length !== 0) parts.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  if (end !== s.length) parts.push(s.slice(beg));
  return parts;
}

function templateMatch(name: string, template: string, value: string, open: string, close: string): boolean {
  let src = "^";
  let i = 0;
  while (i < template.length) {
    const s = template.indexOf(open, i);
    if (s < 0) {
      src += escapeLiteral(template.slice(i));
      break;
    }
    const e = template.indexOf(close, s + open.length);
    if (e < 0) throw builtinError(name, `unbalanced delimiters in template ${JSON.stringify(template)}`);
    src += escapeLiteral(template.slice(i, s));
    src += `(?:${template.slice(s + open.length, e)})`;
    i = e + close.length;
  }
  return re(name, src + "$").test(value);
}

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

export const regexBuiltins: HostBuiltinImpl<"regex">[] = [
  {
    // The deprecated name of regex.match, still accepted by OPA.
    name: "re_match",
    impl: (a) => re("re_match", str("re_match", a, 0)).test(str("re_match", a, 1)),
  },
  {
    name: "regex.match",
    impl: (a) => re("regex.match", str("regex.match", a, 0)).test(str("regex.match", a, 1)),
  },
  {
    name: "regex.is_valid",
    impl: (a) => {
      if (typeof a[0] !== "string") return false;
      try {
        compileRe2(a[0]);
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: "regex.find_n",
    impl: (a) => findAll(re("regex.find_n", str("regex.find_n", a, 0)), str("regex.find_n", a, 1), int("regex.find_n", a, 2)).map((m) => m[0]),
  },
  {
    name: "regex.find_all_string_submatch_n",
    impl: (a) => {
      const n = "regex.find_all_string_submatch_n";
      return findAll(re(n, str(n, a, 0)), str(n, a, 1), int(n, a, 2)).map((m) => [...m].map((g) => g ?? ""));
    },
  },
  {
    name: "regex.replace",
    impl: (a) => {
      const n = "regex.replace";
      const s = str(n, a, 0);
      const r = re(n, str(n, a, 1));
      const tpl = str(n, a, 2);
      let out = "";
      let last = 0;
      for (const m of findAll(r, s, -1)) {
        out += s.slice(last, m.index) + expand(tpl, m);
        last = m.index + m[0].length;
      }
      return out + s.slice(last);
    },
  },
  {
    name: "regex.split",
    impl: (a) => split(re("regex.split", str("regex.split", a, 0)), str("regex.split", a, 1)),
  },
  {
    name: "regex.template_match",
    impl: (a) => {
      const n = "regex.template_match";
      return templateMatch(n, str(n, a, 0), str(n, a, 1), str(n, a, 2), str(n, a, 3));
    },
  },
];
