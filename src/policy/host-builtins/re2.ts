// Translates RE2 syntax (what OPA's Go regexp accepts) into a JavaScript RegExp
// with the `u` flag. Handled: `(?P<name>`, leading `(?i)`/`(?s)`/`(?m)` flags,
// `\A` / `\z`, `\pL`, POSIX classes `[[:alpha:]]`, escaped punctuation.
// Rejected as RE2 does: look-around and back-references. Known gaps: inline
// flag groups in the middle of a pattern (`a(?i)b`, `(?i:...)`), `\Q...\E`,
// and RE2's leftmost-first vs JS's backtracking on pathological patterns.

const POSIX: Record<string, string> = {
  alpha: "a-zA-Z",
  digit: "0-9",
  alnum: "0-9a-zA-Z",
  upper: "A-Z",
  lower: "a-z",
  space: "\\t\\n\\v\\f\\r ",
  xdigit: "0-9A-Fa-f",
  word: "0-9A-Za-z_",
  punct: "!-\\/:-@\\[-`{-~",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  print: " -~",
  graph: "!-~",
  ascii: "\\x00-\\x7f",
};

/** Punctuation JS accepts as an identity escape under the `u` flag. */
const JS_SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);

const cache = new Map<string, RegExp>();

/** Compiles an RE2 pattern; throws an Error with a one-line reason when invalid. */
export function compileRe2(pattern: string, global = false): RegExp {
  const key = `${global ? "g" : "-"}${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let flags = "u" + (global ? "g" : "");
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === "U") throw new Error("the ungreedy flag (?U) is not supported");
      if (!flags.includes(f)) flags += f;
    }
    src = src.slice(lead[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      const n = src[i + 1];
      if (n === undefined) throw new Error("trailing backslash at end of expression");
      if (/[1-9]/.test(n)) throw new Error(`invalid escape sequence: \\${n} (back-references are not RE2)`);
      if (n === "A" && !inClass) out += "^";
      else if (n === "z" && !inClass) out += "$(?![\\s\\S])";
      else if ((n === "p" || n === "P") && src[i + 2] !== "{") {
        out += `\\${n}{${src[i + 2] ?? ""}}`;
        i++;
      } else if (/[!-\/:-@\[-`{-~]/.test(n) && !JS_SYNTAX.has(n) && !(inClass && n === "-")) {
        out += `\\x${n.charCodeAt(0).toString(16).padStart(2, "0")}`;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
      if (posix) {
        const cls = POSIX[posix[2]!];
        if (!cls || posix[1]) throw new Error(`invalid character class range: ${posix[0]}`);
        out += cls;
        i += posix[0].length - 1;
        continue;
      }
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (src[i + 1] === "^") out += src[++i];
      if (src[i + 1] === "]") out += "\\" + src[++i];
      continue;
    }
    if (c === "(" && src[i + 1] === "?") {
      const rest = src.slice(i + 2);
      if (rest.startsWith("P<")) {
        out += "(?<";
        i += 3;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) throw new Error("invalid or unsupported Perl syntax: look-around");
      if (rest.startsWith("<")) throw new Error("invalid named capture syntax (use (?P<name>...))");
    }
    out += c;
  }
  const re = new RegExp(out, flags);
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

/** Go's FindAll: successive non-overlapping matches; an empty match right after a match is skipped. */
export function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const g = re.global ? re : new RegExp(re.source, re.flags + "g");
  g.lastIndex = 0;
  const out: RegExpExecArray[] = [];
  let prevEnd = -1;
  while (n < 0 || out.length < n) {
    const m = g.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      if (m.index === prevEnd) {
        g.lastIndex = m.index + (s.codePointAt(m.index)! > 0xffff ? 2 : 1);
        if (g.lastIndex > s.length) break;
        continue;
      }
      g.lastIndex = m.index + (m.index < s.length && s.codePointAt(m.index)! > 0xffff ? 2 : 1);
    }
    out.push(m);
    prevEnd = end;
    if (g.lastIndex > s.length) break;
  }
  return out;
}
