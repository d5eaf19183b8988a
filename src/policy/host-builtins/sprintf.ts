// sprintf with Go's fmt semantics, as OPA runs it: numbers that are integers
// format as Go ints, other numbers as float64, strings as strings, and every
// other value as its Rego text. Bad verbs and missing operands print Go's
// `%!v(...)` markers instead of failing, as Go does. Not covered: %x/%X of
// floats, %p, and big integers beyond 64 bits printed with non-decimal verbs.
import { arr, str, type HostBuiltin } from "./types.js";
import { regoText } from "./rego-text.js";

type Arg = { kind: "int"; v: bigint } | { kind: "float"; v: number } | { kind: "string"; v: string };

function toArg(x: unknown): Arg {
  if (typeof x === "bigint") return { kind: "int", v: x };
  if (typeof x === "number") {
    if (Number.isInteger(x) && Math.abs(x) < 2 ** 63) return { kind: "int", v: BigInt(x) };
    return { kind: "float", v: x };
  }
  if (typeof x === "string") return { kind: "string", v: x };
  return { kind: "string", v: regoText(x) };
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number | undefined;
  prec: number | undefined;
}

const goTypeName = (a: Arg): string => (a.kind === "int" ? "int" : a.kind === "float" ? "float64" : "string");

function pad(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width;
  if (w === undefined || [...s].length >= w) return s;
  const n = w - [...s].length;
  if (spec.minus) return s + " ".repeat(n);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : "";
    const body = s.slice(sign.length);
    const prefix = /^0[xXbBoO]/.test(body) && spec.sharp ? body.slice(0, 2) : "";
    return sign + prefix + "0".repeat(n) + body.slice(prefix.length);
  }
  return " ".repeat(n) + s;
}

function signed(neg: boolean, body: string, spec: Spec): string {
  if (neg) return "-" + body;
  if (spec.plus) return "+" + body;
  if (spec.space) return " " + body;
  return body;
}

/** Go's exponent form: at least two digits, explicit sign (1e+06). */
function goExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

function fmtE(x: number, prec: number, upper: boolean): string {
  const s = goExp(x.toExponential(prec));
  return upper ? s.toUpperCase() : s;
}

function fmtF(x: number, prec: number): string {
  if (Math.abs(x) >= 1e21) {
    const intPart = BigInt(Math.trunc(x)).toString();
    return prec > 0 ? `${intPart}.${"0".repeat(prec)}` : intPart;
  }
  return x.toFixed(prec);
}

/** %g / %v of a non-negative float64; `prec` undefined means the shortest exact digits (strconv's 'g' rules). */
function fmtG(x: number, prec: number | undefined, upper: boolean): string {
  if (x === 0) return "0";
  const shortest = prec === undefined;
  const p = shortest ? undefined : Math.max(prec, 1);
  let [digits, exp] = splitExp(p === undefined ? x.toExponential() : x.toExponential(p - 1));
  digits = digits.replace(/0+$/, "") || "0";
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = p ?? nd;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const mant = nd > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = exp < 0 ? `-${String(-exp).padStart(2, "0")}` : `+${String(exp).padStart(2, "0")}`;
    out = `${mant}e${es}`;
  } else if (dp > 0) {
    out = nd <= dp ? digits + "0".repeat(dp - nd) : `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  } else {
    out = `0.${"0".repeat(-dp)}${digits}`;
  }
  return upper ? out.toUpperCase() : out;
}

function splitExp(e: string): [string, number] {
  const [m, ex] = e.split("e") as [string, string];
  return [m.replace(".", ""), Number(ex)];
}

function quoteGo(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (/\p{C}/u.test(ch)) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, "0")}` : `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

function fmtInt(v: bigint, verb: string, spec: Spec): string | undefined {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let body: string;
  switch (verb) {
    case "v":
    case "d":
      body = a.toString(10);
      break;
    case "b":
      body = (spec.sharp ? "0b" : "") + a.toString(2);
      break;
    case "o":
      body = (spec.sharp ? "0" : "") + a.toString(8);
      break;
    case "O":
      body = "0o" + a.toString(8);
      break;
    case "x":
      body = (spec.sharp ? "0x" : "") + a.toString(16);
      break;
    case "X":
      body = (spec.sharp ? "0X" : "") + a.toString(16).toUpperCase();
      break;
    case "c":
      return pad(String.fromCodePoint(Number(v)), spec, false);
    case "q":
      return pad(`'${String.fromCodePoint(Number(v))}'`, spec, false);
    case "U":
      return pad(`U+${a.toString(16).toUpperCase().padStart(4, "0")}`, spec, false);
    default:
      return undefined;
  }
  if (spec.prec !== undefined) {
    const digitsStart = body.search(/[0-9a-fA-F]/);
    body = body.slice(0, digitsStart) + body.slice(digitsStart).padStart(spec.prec, "0");
  }
  return pad(signed(neg, body, spec), spec, spec.prec === undefined);
}

function fmtFloat(x: number, verb: string, spec: Spec): string | undefined {
  if (!Number.isFinite(x)) {
    const s = Number.isNaN(x) ? "NaN" : x > 0 ? (spec.plus ? "+Inf" : "Inf") : "-Inf";
    return pad(s, { ...spec, zero: false }, false);
  }
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  switch (verb) {
    case "v":
    case "g":
    case "G":
      body = fmtG(a, spec.prec, verb === "G");
      break;
    case "e":
    case "E":
      body = fmtE(a, spec.prec ?? 6, verb === "E");
      break;
    case "f":
    case "F":
      body = fmtF(a, spec.prec ?? 6);
      break;
    default:
      return undefined;
  }
  return pad(signed(neg, body, spec), spec, true);
}

function fmtString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case "v":
    case "s": {
      const cut = spec.prec === undefined ? s : [...s].slice(0, spec.prec).join("");
      return pad(cut, spec, false);
    }
    case "q":
      return pad(quoteGo(s), spec, false);
    case "x":
    case "X": {
      const hex = Buffer.from(s, "utf8").toString("hex");
      return pad(verb === "X" ? hex.toUpperCase() : hex, spec, false);
    }
    default:
      return undefined;
  }
}

function argText(a: Arg): string {
  if (a.kind === "int") return a.v.toString();
  if (a.kind === "float") return (a.v < 0 ? "-" : "") + fmtG(Math.abs(a.v), undefined, false);
  return a.v;
}

/** Formats like Go's fmt.Sprintf(format, args...). */
export function goSprintf(format: string, values: unknown[]): string {
  const args = values.map(toArg);
  let out = "";
  let argi = 0;
  let reordered = false;
  const chars = [...format];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false, width: undefined, prec: undefined };
    for (; i < chars.length; i++) {
      const f = chars[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === "#") spec.sharp = true;
      else if (f === "0") spec.zero = !spec.minus;
      else if (f === " ") spec.space = true;
      else break;
    }
    const argIndex = (): void => {
      const m = /^\[(\d+)\]/.exec(chars.slice(i, i + 12).join(""));
      if (m) {
        argi = Number(m[1]) - 1;
        reordered = true;
        i += m[0].length;
      }
    };
    const number = (): number | undefined => {
      argIndex();
      if (chars[i] === "*") {
        i++;
        const a = args[argi++];
        return a && a.kind === "int" ? Number(a.v) : undefined;
      }
      let s = "";
      while (i < chars.length && /[0-9]/.test(chars[i]!)) s += chars[i++];
      return s === "" ? undefined : Number(s);
    };
    spec.width = number();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (chars[i] === ".") {
      i++;
      spec.prec = number() ?? 0;
    }
    argIndex();
    if (i >= chars.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = chars[i++]!;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length || argi < 0) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++]!;
    let s: string | undefined;
    if (a.kind === "int") s = fmtInt(a.v, verb, spec);
    else if (a.kind === "float") s = fmtFloat(a.v, verb, spec);
    else s = fmtString(a.v, verb, spec);
    out += s ?? `%!${verb}(${goTypeName(a)}=${argText(a)})`;
  }
  if (!reordered && argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${argText(a)}`)
      .join(", ")})`;
  }
  return out;
}

export const stringsBuiltins: HostBuiltin[] = [
  {
    name: "sprintf",
    arity: 2,
    impl: (args) => goSprintf(str("sprintf", args, 0), arr("sprintf", args, 1)),
  },
];
