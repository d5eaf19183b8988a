// strings.render_template: Go's text/template as OPA runs it (missing keys are
// errors). Supported: text, {{pipeline}} with field chains (.a.b), `.`, `$`,
// variables, {{if}}/{{else if}}/{{else}}, {{range}} (with `$i, $v :=` and
// {{else}}), {{with}}, {{- trim -}} markers, {{/* comments */}}, pipes, and the
// functions and, or, not, len, index, eq, ne, lt, le, gt, ge, print, printf,
// println. Values print as Go's fmt %v prints them.
import { builtinError, obj, str, toJsonText, type HostBuiltinImpl } from "./types.js";

const NAME = "strings.render_template";

class TemplateError extends Error {}

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: string }
  | { kind: "if" | "with"; branches: Array<{ pipe: string | undefined; body: Node[] }> }
  | { kind: "range"; pipe: string; vars: string[]; body: Node[]; otherwise: Node[] };

// ---- lexing into text and actions --------------------------------------------

interface Token {
  text?: string;
  action?: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  for (;;) {
    const open = src.indexOf("{{", at);
    if (open < 0) {
      out.push({ text: src.slice(at) });
      return out;
    }
    let text = src.slice(at, open);
    let start = open + 2;
    if (src.startsWith("- ", start) || src.startsWith("-\t", start) || src.startsWith("-\n", start)) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    out.push({ text });
    const close = findClose(src, start);
    let end = close;
    let after = close + 2;
    if (/\s-$/.test(src.slice(start, close))) {
      end = close - 1;
      while (after < src.length && /\s/.test(src[after]!)) after++;
    }
    out.push({ action: src.slice(start, end).trim() });
    at = after;
  }
}

/** The `}}` ending an action, skipping quoted strings. */
function findClose(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "`") {
      const q = c;
      for (i++; i < src.length && src[i] !== q; i++) if (q === '"' && src[i] === "\\") i++;
    } else if (c === "}" && src[i + 1] === "}") return i;
  }
  throw new TemplateError("unclosed action");
}

// ---- parsing into a tree --------------------------------------------------------

function parseTemplate(src: string): Node[] {
  const tokens = tokenize(src);
  let i = 0;
  const block = (stops: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if (t.text !== undefined) {
        if (t.text !== "") nodes.push({ kind: "text", text: t.text });
        continue;
      }
      const a = t.action!;
      if (a.startsWith("/*")) continue;
      const word = /^(if|range|with|else|end)\b\s*(.*)$/s.exec(a);
      if (!word) {
        nodes.push({ kind: "action", pipe: a });
        continue;
      }
      const [, kw, rest] = word as unknown as [string, string, string];
      if (kw === "end" || kw === "else") {
        if (!stops.includes(kw)) throw new TemplateError(`unexpected {{${kw}}}`);
        return { nodes, stop: kw === "else" ? `else ${rest}`.trim() : "end" };
      }
      if (kw === "if" || kw === "with") {
        const branches: Array<{ pipe: string | undefined; body: Node[] }> = [];
        let pipe: string | undefined = rest;
        for (;;) {
          const r = block(["else", "end"]);
          branches.push({ pipe, body: r.nodes });
          if (r.stop === "end") break;
          const m = new RegExp(`^else\\s+${kw}\\s+(.*)$`, "s").exec(r.stop);
          if (m) pipe = m[1]!;
          else {
            branches.push({ pipe: undefined, body: block(["end"]).nodes });
            break;
          }
        }
        nodes.push({ kind: kw, branches });
        continue;
      }
      const decl = /^(\$\w*)\s*(?:,\s*(\$\w*)\s*)?:=\s*(.*)$/s.exec(rest);
      const vars = decl ? [decl[1]!, ...(decl[2] ? [decl[2]] : [])] : [];
      const r = block(["else", "end"]);
      const otherwise = r.stop === "end" ? [] : block(["end"]).nodes;
      nodes.push({ kind: "range", pipe: decl ? decl[3]! : rest, vars, body: r.nodes, otherwise });
    }
    if (stops.length > 0) throw new TemplateError("unexpected EOF");
    return { nodes, stop: "" };
  };
  return block([]).nodes;
}

// ---- evaluation --------------------------------------------------------------------

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

const MISSING = Symbol("missing");

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** Go's fmt %v of a decoded JSON value. */
function show(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") return `map[${Object.keys(v).sort().map((k) => `${k}:${show((v as Record<string, unknown>)[k])}`).join(" ")}]`;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v).replace(/e\+?/, "e+").replace("e+-", "e-");
  return String(v); // strings, booleans and bigints (integers beyond 2^53, in full)
}

function field(v: unknown, name: string): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TemplateError(`can't evaluate field ${name} in type ${Array.isArray(v) ? "[]interface {}" : typeof v}`);
  if (!(name in v)) throw new TemplateError(`map has no entry for key "${name}"`);
  return (v as Record<string, unknown>)[name];
}

/** Splits a command into its words: strings, numbers, fields, variables, parenthesised pipelines. */
function words(cmd: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    const c = cmd[i]!;
    if (/\s/.test(c)) { i++; continue; }
    let j = i;
    if (c === '"' || c === "`") {
      for (j++; j < cmd.length && cmd[j] !== c; j++) if (c === '"' && cmd[j] === "\\") j++;
      j++;
    } else if (c === "(") {
      let depth = 0;
      for (; j < cmd.length; j++) {
        if (cmd[j] === "(") depth++;
        else if (cmd[j] === ")" && --depth === 0) { j++; break; }
      }
    } else while (j < cmd.length && !/\s/.test(cmd[j]!)) j++;
    out.push(cmd.slice(i, j));
    i = j;
  }
  return out;
}

function splitPipe(pipe: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < pipe.length; i++) {
    const c = pipe[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "`") quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      parts.push(pipe.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(pipe.slice(start));
  return parts.map((p) => p.trim());
}

function operand(w: string, s: Scope): unknown {
  if (w.startsWith("(")) return evalPipe(w.slice(1, -1), s);
  if (w.startsWith('"')) return JSON.parse(w) as unknown;
  if (w.startsWith("`")) return w.slice(1, -1);
  if (w === "true" || w === "false") return w === "true";
  if (w === "nil") return null;
  if (/^[-+]?\d/.test(w)) return Number(w);
  if (w === ".") return s.dot;
  if (w.startsWith(".")) return w.slice(1).split(".").reduce(field, s.dot);
  if (w.startsWith("$")) {
    const [v, ...path] = w.split(".");
    if (!s.vars.has(v!)) throw new TemplateError(`undefined variable: ${v}`);
    return path.reduce(field, s.vars.get(v!));
  }
  throw new TemplateError(`function "${w}" not defined`);
}

const compare = (a: unknown, b: unknown): number => {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError("incompatible types for comparison");
};

/** Go's Sprintf for the common verbs, with flags and width. */
function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([vsdqftxX%])/g, (_m, flags: string, width: string, prec: string | undefined, verb: string) => {
    if (verb === "%") return "%";
    const a = args[n++];
    let text: string;
    if (verb === "q") text = JSON.stringify(typeof a === "string" ? a : show(a));
    else if (verb === "d") text = typeof a === "number" ? String(Math.trunc(a)) : typeof a === "bigint" ? a.toString() : `%!d(${show(a)})`;
    else if (verb === "f") text = typeof a === "number" ? a.toFixed(prec === undefined ? 6 : Number(prec)) : `%!f(${show(a)})`;
    else if (verb === "x" || verb === "X") {
      text = typeof a === "number" || typeof a === "bigint" ? a.toString(16) : Buffer.from(String(a)).toString("hex");
      if (verb === "X") text = text.toUpperCase();
    } else text = show(a);
    const w = Number(width || 0);
    if (text.length >= w) return text;
    if (flags.includes("-")) return text.padEnd(w);
    if (flags.includes("0") && typeof a === "number") return text.startsWith("-") ? `-${text.slice(1).padStart(w - 1, "0")}` : text.padStart(w, "0");
    return text.padStart(w);
  });
}

const FUNCS: Record<string, (args: unknown[]) => unknown> = {
  and: (a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  not: (a) => !truthy(a[0]),
  len: ([x]) => {
    if (typeof x === "string") return Buffer.byteLength(x);
    if (Array.isArray(x)) return x.length;
    if (x !== null && typeof x === "object") return Object.keys(x).length;
    throw new TemplateError(`len of type ${typeof x}`);
  },
  index: ([x, ...keys]) => keys.reduce((v, k) => {
    if (Array.isArray(v) && typeof k === "number") {
      if (k < 0 || k >= v.length) throw new TemplateError(`index out of range: ${k}`);
      return v[k];
    }
    if (v !== null && typeof v === "object" && typeof k === "string") return (v as Record<string, unknown>)[k] ?? null;
    throw new TemplateError("can't index item");
  }, x),
  eq: ([a, ...bs]) => bs.some((b) => toJsonText(a) === toJsonText(b)),
  ne: ([a, b]) => toJsonText(a) !== toJsonText(b),
  lt: ([a, b]) => compare(a, b) < 0,
  le: ([a, b]) => compare(a, b) <= 0,
  gt: ([a, b]) => compare(a, b) > 0,
  ge: ([a, b]) => compare(a, b) >= 0,
  print: (a) => a.map((x, i) => (i > 0 && typeof x !== "string" && typeof a[i - 1] !== "string" ? " " : "") + show(x)).join(""),
  println: (a) => `${a.map(show).join(" ")}\n`,
  printf: ([f, ...a]) => sprintf(String(f), a),
};

function evalCommand(cmd: string, s: Scope, piped: unknown): unknown {
  const ws = words(cmd);
  const head = ws[0];
  if (head === undefined) throw new TemplateError("missing value for command");
  const fn = FUNCS[head];
  if (fn) {
    const args = ws.slice(1).map((w) => operand(w, s));
    if (piped !== MISSING) args.push(piped);
    return fn(args);
  }
  if (/^[A-Za-z_]\w*$/.test(head) && !["true", "false", "nil"].includes(head)) throw new TemplateError(`function "${head}" not defined`);
  if (ws.length > 1 || piped !== MISSING) throw new TemplateError(`can't give argument to non-function ${head}`);
  return operand(head, s);
}

function evalPipe(pipe: string, s: Scope): unknown {
  const decl = /^(\$\w*)\s*(:?=)\s*(.*)$/s.exec(pipe);
  if (decl) {
    const v = evalPipe(decl[3]!, s);
    s.vars.set(decl[1]!, v);
    return v;
  }
  let v: unknown = MISSING;
  for (const cmd of splitPipe(pipe)) v = evalCommand(cmd, s, v);
  return v;
}

/** Go 1.22's range over an integer; bounded so that a number from input cannot exhaust memory. */
const MAX_RANGE = 1_000_000;
function rangeOfInt(n: number): Array<[unknown, unknown]> {
  if (n > MAX_RANGE) throw new TemplateError(`range over ${n} is more than ${MAX_RANGE} iterations`);
  return Array.from({ length: Math.max(0, n) }, (_, i) => [i, i]);
}

function render(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === "text") out.push(n.text);
    else if (n.kind === "action") {
      const isDecl = /^\$\w*\s*:?=/.test(n.pipe);
      const v = evalPipe(n.pipe, s);
      if (!isDecl) out.push(v === null || v === undefined ? "<no value>" : show(v));
    } else if (n.kind === "if" || n.kind === "with") {
      for (const b of n.branches) {
        if (b.pipe === undefined) {
          render(b.body, s, out);
          break;
        }
        const v = evalPipe(b.pipe, s);
        if (truthy(v)) {
          render(b.body, n.kind === "with" ? { dot: v, vars: s.vars } : s, out);
          break;
        }
      }
    } else if (n.kind === "range") {
      const v = evalPipe(n.pipe, s);
      const entries: Array<[unknown, unknown]> = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : v !== null && typeof v === "object"
          ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
          : typeof v === "number" && Number.isInteger(v)
            ? rangeOfInt(v)
            : v === null || v === undefined
              ? []
              : (() => {
                  throw new TemplateError(`range can't iterate over ${show(v)}`);
                })();
      if (entries.length === 0) render(n.otherwise, s, out);
      for (const [k, x] of entries) {
        const vars = new Map(s.vars);
        if (n.vars.length === 1) vars.set(n.vars[0]!, x);
        if (n.vars.length === 2) {
          vars.set(n.vars[0]!, k);
          vars.set(n.vars[1]!, x);
        }
        render(n.body, { dot: x, vars }, out);
      }
    }
  }
}

export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  try {
    const out: string[] = [];
    render(parseTemplate(template), { dot: vars, vars: new Map([["$", vars]]) }, out);
    return out.join("");
  } catch (e) {
    if (e instanceof TemplateError || e instanceof SyntaxError) throw builtinError(NAME, `template: ${e.message}`);
    throw e;
  }
}

export const templateBuiltins: HostBuiltinImpl<"template">[] = [
  { name: NAME, impl: (a) => renderTemplate(str(NAME, a, 0), obj(NAME, a, 1)) },
];
