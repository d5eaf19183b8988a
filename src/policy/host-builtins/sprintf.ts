// sprintf with Go's fmt semantics, as OPA runs it: numbers that are integers
// format as Go ints, other numbers as float64, strings as strings, and every
// other value as its Rego text. Bad verbs and missing operands print Go's
// `%!v(...)` markers instead of failing, as Go does; integers beyond int64 as
// Go's *big.Int. Not covered: %x/%X of floats, %p.
import { arr, str, type HostBuiltinImpl } from "./types.js";
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
    const sign = /^[+\- ]/.test(s) ? s.slice(0, 1) : "";
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

/**
 * The exact decimal value of a finite non-negative double: all its digits and
 * where the point goes. Go rounds %e/%f/%g on this exact value, half to even;
 * JavaScript's toFixed/toExponential round halves up, so they cannot be used.
 */
function exactDecimal(x: number): { digits: string; point: number } {
  if (x === 0) return { digits: "0", point: 1 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) {
    const d = (mant << BigInt(e)).toString();
    return { digits: d, point: d.length };
  }
  const d = (mant * 5n ** BigInt(-e)).toString();
  return { digits: d, point: d.length + e };
}

/** Rounds digits (point at `point`) to `keep` leading digits, half to even; may carry into a new digit. */
function roundDigits(digits: string, point: number, keep: number): { digits: string; point: number } {
  if (keep < 0) return { digits: "0", point };
  if (digits.length <= keep) return { digits: digits.padEnd(keep, "0"), point };
  const head = digits.slice(0, keep);
  const rest = digits.slice(keep);
  const first = rest.charCodeAt(0) - 48;
  const beyond = /[1-9]/.test(rest.slice(1));
  const lastEven = keep === 0 ? true : (head.charCodeAt(keep - 1) - 48) % 2 === 0;
  const up = first > 5 || (first === 5 && (beyond || !lastEven));
  if (!up) return { digits: head === "" ? "0" : head, point: head === "" ? point + 1 : point };
  const n = (BigInt(head === "" ? "0" : head) + 1n).toString();
  const width = Math.max(keep, 1);
  if (n.length > width) return { digits: n.slice(0, width), point: point + 1 };
  return { digits: n.padStart(width, "0"), point: head === "" ? point + 1 : point };
}

function fmtE(x: number, prec: number, upper: boolean): string {
  const ex = exactDecimal(x);
  const nz = ex.digits.search(/[1-9]/);
  const r = x === 0 ? { digits: "0".repeat(prec + 1), point: 1 } : roundDigits(ex.digits.slice(nz), ex.point - nz, prec + 1);
  const exp = x === 0 ? 0 : r.point - 1;
  const mant = prec > 0 ? `${r.digits[0]}.${r.digits.slice(1, prec + 1)}` : r.digits[0]!;
  const es = exp < 0 ? `-${String(-exp).padStart(2, "0")}` : `+${String(exp).padStart(2, "0")}`;
  const s = `${mant}e${es}`;
  return upper ? s.toUpperCase() : s;
}

function fmtF(x: number, prec: number): string {
  const ex = exactDecimal(x);
  let digits = ex.digits;
  let point = ex.point;
  if (point <= 0) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  }
  const r = roundDigits(digits, point, point + prec);
  const intPart = r.digits.slice(0, r.point) || "0";
  const frac = r.digits.slice(r.point, r.point + prec).padEnd(prec, "0");
  return prec > 0 ? `${intPart}.${frac}` : intPart;
}

/** %g / %v of a non-negative float64; `prec` undefined means the shortest exact digits (strconv's 'g' rules). */
function fmtG(x: number, prec: number | undefined, upper: boolean): string {
  if (x === 0) return "0";
  const shortest = prec === undefined;
  const p = shortest ? undefined : Math.max(prec, 1);
  let [digits, exp] = p === undefined ? splitExp(x.toExponential()) : splitExp(fmtE(x, p - 1, false));
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

const fitsInt64 = (v: bigint): boolean => v >= -(2n ** 63n) && v < 2n ** 63n;

/**
 * An integer beyond int64 reaches Go's fmt as a *big.Int (OPA's sprintf), whose
 * Format takes %s and %v as %d and names itself in the marker of a verb it lacks.
 */
function fmtBigInt(v: bigint, verb: string, spec: Spec): string {
  if ("bdoOxXsv".includes(verb)) return fmtInt(v, verb === "s" ? "d" : verb, spec)!;
  return `%!${verb}(big.Int=${v.toString()})`;
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
    if (a.kind === "int" && !fitsInt64(a.v)) s = fmtBigInt(a.v, verb, spec);
    else if (a.kind === "int") s = fmtInt(a.v, verb, spec);
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

export const stringsBuiltins: HostBuiltinImpl<"strings">[] = [
  {
    name: "sprintf",
    impl: (args) => goSprintf(str("sprintf", args, 0), arr("sprintf", args, 1)),
  },
];
