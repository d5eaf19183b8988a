// TEST SUPPORT ONLY: the handful of built-ins the reference IR interpreter
// implements (name → implementation), enough for the planner's tests and the
// core-language conformance folders. Wrong argument types throw, as OPA's
// strict built-in errors do; an undefined result is `undefined`.

import { CapgateError } from "../../src/errors.js";
import type { Ctx } from "./ir-interpreter.js";
import { RObject, RSet, type V, compare, equal, key, sortedEntries, sortedItems, toJSON, typeName } from "./values.js";

type Impl = (args: V[], ctx: Ctx) => V | undefined;

function typeErr(name: string, msg: string): never {
  throw new CapgateError("eval_type_error", `${name}: ${msg}`);
}
function num(name: string, v: V): number {
  if (typeof v !== "number") typeErr(name, `operand must be number but got ${typeName(v)}`);
  return v;
}
function str(name: string, v: V): string {
  if (typeof v !== "string") typeErr(name, `operand must be string but got ${typeName(v)}`);
  return v;
}
function items(name: string, v: V): V[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return sortedItems(v);
  return typeErr(name, `operand must be array or set but got ${typeName(v)}`);
}
function setOf(vs: Iterable<V>): RSet {
  const s = new RSet();
  for (const v of vs) s.add(v);
  return s;
}

function arith(name: string, f: (a: number, b: number) => number | undefined, setOp?: (a: RSet, b: RSet) => RSet): Impl {
  return ([a, b]) => {
    if (setOp && a instanceof RSet && b instanceof RSet) return setOp(a, b);
    const r = f(num(name, a!), num(name, b!));
    return r;
  };
}

/** A JS number as an exact decimal: digits (a BigInt) × 10^exp, from its shortest text. */
function decimal(x: number): { digits: bigint; exp: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))!;
  const frac = m[3] ?? "";
  const digits = BigInt(`${m[1]}${m[2]}${frac}`);
  return { digits, exp: Number(m[4] ?? 0) - frac.length };
}

/** a op b computed exactly on decimals, as OPA's numbers are (0.1 + 0.2 is 0.3), then read back. */
function exact(op: "+" | "-" | "*"): (a: number, b: number) => number {
  return (a, b) => {
    if (!Number.isFinite(a) || !Number.isFinite(b)) return op === "+" ? a + b : op === "-" ? a - b : a * b;
    const x = decimal(a);
    const y = decimal(b);
    let digits: bigint;
    let exp: number;
    if (op === "*") {
      digits = x.digits * y.digits;
      exp = x.exp + y.exp;
    } else {
      exp = Math.min(x.exp, y.exp);
      const xs = x.digits * 10n ** BigInt(x.exp - exp);
      const ys = y.digits * 10n ** BigInt(y.exp - exp);
      digits = op === "+" ? xs + ys : xs - ys;
    }
    return Number(`${digits}e${exp}`);
  };
}

function display(v: V): string {
  return typeof v === "string" ? v : JSON.stringify(toJSON(v));
}

const ROWS: Array<[string, Impl]> = [
  ["lt", ([a, b]) => compare(a!, b!) < 0],
  ["lte", ([a, b]) => compare(a!, b!) <= 0],
  ["gt", ([a, b]) => compare(a!, b!) > 0],
  ["gte", ([a, b]) => compare(a!, b!) >= 0],
  ["equal", ([a, b]) => equal(a!, b!)],
  ["neq", ([a, b]) => !equal(a!, b!)],
  ["plus", arith("plus", exact("+"))],
  ["minus", arith("minus", exact("-"), (a, b) => setOf([...a.m.values()].filter((x) => !b.has(x))))],
  ["mul", arith("mul", exact("*"))],
  ["div", arith("div", (a, b) => {
    if (b === 0) throw new CapgateError("eval_builtin_error", "div: divide by zero");
    return a / b;
  })],
  ["rem", arith("rem", (a, b) => {
    if (b === 0) throw new CapgateError("eval_builtin_error", "rem: modulo by zero");
    return a % b;
  })],
  ["and", ([a, b]) => (a instanceof RSet && b instanceof RSet ? setOf([...a.m.values()].filter((x) => b.has(x))) : typeErr("and", "operands must be sets"))],
  ["or", ([a, b]) => (a instanceof RSet && b instanceof RSet ? setOf([...a.m.values(), ...b.m.values()]) : typeErr("or", "operands must be sets"))],
  ["abs", ([a]) => Math.abs(num("abs", a!))],
  ["round", ([a]) => { const x = num("round", a!); return Math.sign(x) * Math.round(Math.abs(x)); }],
  ["ceil", ([a]) => Math.ceil(num("ceil", a!))],
  ["floor", ([a]) => Math.floor(num("floor", a!))],
  ["count", ([a]) => {
    if (typeof a === "string") return [...a].length;
    if (Array.isArray(a)) return a.length;
    if (a instanceof RObject || a instanceof RSet) return a.m.size;
    return typeErr("count", `operand must be one of {array, object, set, string} but got ${typeName(a!)}`);
  }],
  ["sum", ([a]) => items("sum", a!).reduce((s: number, x) => s + num("sum", x), 0)],
  ["product", ([a]) => items("product", a!).reduce((s: number, x) => s * num("product", x), 1)],
  ["max", ([a]) => { const xs = items("max", a!); return xs.length === 0 ? undefined : [...xs].sort(compare)[xs.length - 1]; }],
  ["min", ([a]) => { const xs = items("min", a!); return xs.length === 0 ? undefined : [...xs].sort(compare)[0]; }],
  ["sort", ([a]) => [...items("sort", a!)].sort(compare)],
  ["concat", ([d, a]) => items("concat", a!).map((x) => str("concat", x)).join(str("concat", d!))],
  ["contains", ([a, b]) => str("contains", a!).includes(str("contains", b!))],
  ["startswith", ([a, b]) => str("startswith", a!).startsWith(str("startswith", b!))],
  ["endswith", ([a, b]) => str("endswith", a!).endsWith(str("endswith", b!))],
  ["lower", ([a]) => str("lower", a!).toLowerCase()],
  ["upper", ([a]) => str("upper", a!).toUpperCase()],
  ["split", ([a, b]) => str("split", a!).split(str("split", b!))],
  ["trim_space", ([a]) => str("trim_space", a!).trim()],
  ["to_number", ([a]) => (typeof a === "number" ? a : typeof a === "string" ? Number(a) : typeErr("to_number", "bad operand"))],
  ["array.concat", ([a, b]) => (Array.isArray(a) && Array.isArray(b) ? [...a, ...b] : typeErr("array.concat", "operands must be arrays"))],
  ["object.get", ([o, k, d]) => {
    if (!(o instanceof RObject)) return typeErr("object.get", "operand 1 must be object");
    if (Array.isArray(k)) {
      let cur: V | undefined = o;
      for (const p of k) cur = cur instanceof RObject ? cur.get(p) : undefined;
      return cur ?? d;
    }
    return o.get(k!) ?? d;
  }],
  ["object.keys", ([o]) => (o instanceof RObject ? setOf([...o.m.values()].map(([k]) => k)) : typeErr("object.keys", "operand must be object"))],
  ["union", ([a]) => setOf(items("union", a!).flatMap((s) => (s instanceof RSet ? [...s.m.values()] : typeErr("union", "elements must be sets"))))],
  ["intersection", ([a]) => {
    const sets = items("intersection", a!) as RSet[];
    if (sets.length === 0) return new RSet();
    return setOf([...sets[0]!.m.values()].filter((x) => sets.every((s) => s.has(x))));
  }],
  ["numbers.range", ([a, b]) => {
    const x = num("numbers.range", a!);
    const y = num("numbers.range", b!);
    const out: V[] = [];
    for (let i = x; x <= y ? i <= y : i >= y; i += x <= y ? 1 : -1) out.push(i);
    return out;
  }],
  ["internal.member_2", ([x, c]) => (Array.isArray(c) ? c.some((y) => equal(x!, y)) : c instanceof RSet ? c.has(x!) : c instanceof RObject ? [...c.m.values()].some(([, y]) => equal(x!, y)) : false)],
  ["internal.member_3", ([k, x, c]) => {
    if (Array.isArray(c)) return typeof k === "number" && c[k] !== undefined && equal(c[k], x!);
    if (c instanceof RObject) { const y = c.get(k!); return y !== undefined && equal(y, x!); }
    return false;
  }],
  ["internal.print", ([a], ctx) => {
    const parts = (a as V[]).map((s) => (s instanceof RSet && s.m.size > 0 ? sortedItems(s).map(display).join(" ") : "<undefined>"));
    ctx.print(parts.join(" "));
    return true;
  }],
  ["type_name", ([a]) => typeName(a!)],
  ["is_number", ([a]) => typeof a === "number"],
  ["is_string", ([a]) => typeof a === "string"],
  ["is_boolean", ([a]) => typeof a === "boolean"],
  ["is_array", ([a]) => Array.isArray(a)],
  ["is_set", ([a]) => a instanceof RSet],
  ["is_object", ([a]) => a instanceof RObject],
  ["is_null", ([a]) => a === null],
  ["json.marshal", ([a]) => JSON.stringify(toJSON(a!))],
  ["sprintf", ([f, a]) => {
    const args = items("sprintf", a!);
    let i = 0;
    return str("sprintf", f!).replace(/%[vsd]/g, () => display(args[i++] ?? null));
  }],
  ["walk", ([x]) => {
    const out: V[] = [];
    const visit = (path: V[], v: V): void => {
      out.push([path, v]);
      if (Array.isArray(v)) v.forEach((c, i) => visit([...path, i], c));
      else if (v instanceof RObject) for (const [k, c] of sortedEntries(v)) visit([...path, k], c);
      else if (v instanceof RSet) for (const c of sortedItems(v)) visit([...path, c], c);
    };
    visit([], x!);
    return out;
  }],
  ["trace", () => true],
  ["array.slice", ([a, i, j]) => {
    if (!Array.isArray(a)) return typeErr("array.slice", "operand 1 must be array");
    const n = a.length;
    const from = Math.max(0, Math.min(n, num("array.slice", i!)));
    const to = Math.max(from, Math.min(n, num("array.slice", j!)));
    return a.slice(from, to);
  }],
  ["array.reverse", ([a]) => (Array.isArray(a) ? [...a].reverse() : typeErr("array.reverse", "operand must be array"))],
  ["object.union", ([a, b]) => (a instanceof RObject && b instanceof RObject ? unionObjects(a, b) : typeErr("object.union", "operands must be objects"))],
  ["object.union_n", ([a]) => items("object.union_n", a!).reduce((acc: V, o) => (o instanceof RObject ? unionObjects(acc as RObject, o) : typeErr("object.union_n", "elements must be objects")), new RObject())],
  ["object.remove", ([o, ks]) => {
    if (!(o instanceof RObject)) return typeErr("object.remove", "operand 1 must be object");
    const drop = ks instanceof RObject ? [...ks.m.values()].map(([k]) => k) : items("object.remove", ks!);
    const out = new RObject();
    for (const [k, v] of o.m.values()) if (!drop.some((d) => equal(d, k))) out.set(k, v);
    return out;
  }],
  ["object.filter", ([o, ks]) => {
    if (!(o instanceof RObject)) return typeErr("object.filter", "operand 1 must be object");
    const keep = ks instanceof RObject ? [...ks.m.values()].map(([k]) => k) : items("object.filter", ks!);
    const out = new RObject();
    for (const [k, v] of o.m.values()) if (keep.some((d) => equal(d, k))) out.set(k, v);
    return out;
  }],
  ["replace", ([a, b, c]) => str("replace", a!).split(str("replace", b!)).join(str("replace", c!))],
  ["trim", ([a, b]) => trimWith(str("trim", a!), str("trim", b!), true, true)],
  ["trim_left", ([a, b]) => trimWith(str("trim_left", a!), str("trim_left", b!), true, false)],
  ["trim_right", ([a, b]) => trimWith(str("trim_right", a!), str("trim_right", b!), false, true)],
  ["trim_prefix", ([a, b]) => { const x = str("trim_prefix", a!); const p = str("trim_prefix", b!); return x.startsWith(p) ? x.slice(p.length) : x; }],
  ["trim_suffix", ([a, b]) => { const x = str("trim_suffix", a!); const p = str("trim_suffix", b!); return p && x.endsWith(p) ? x.slice(0, -p.length) : x; }],
  ["indexof", ([a, b]) => {
    // OPA counts in code points, not UTF-16 units.
    const x = str("indexof", a!);
    const i = x.indexOf(str("indexof", b!));
    return i < 0 ? -1 : [...x.slice(0, i)].length;
  }],
  ["substring", ([a, b, c]) => {
    const cps = [...str("substring", a!)];
    const from = num("substring", b!);
    const len = num("substring", c!);
    if (from < 0) throw new CapgateError("eval_builtin_error", "substring: negative offset");
    return cps.slice(from, len < 0 ? undefined : from + len).join("");
  }],
  ["strings.reverse", ([a]) => [...str("strings.reverse", a!)].reverse().join("")],
  ["format_int", ([a, b]) => { const base = num("format_int", b!); return Math.trunc(num("format_int", a!)).toString(base); }],
  ["bits.and", ([a, b]) => Number(BigInt(num("bits.and", a!)) & BigInt(num("bits.and", b!)))],
  ["bits.or", ([a, b]) => Number(BigInt(num("bits.or", a!)) | BigInt(num("bits.or", b!)))],
  ["bits.xor", ([a, b]) => Number(BigInt(num("bits.xor", a!)) ^ BigInt(num("bits.xor", b!)))],
  ["bits.negate", ([a]) => Number(~BigInt(num("bits.negate", a!)))],
  ["bits.lsh", ([a, b]) => Number(BigInt(num("bits.lsh", a!)) << BigInt(num("bits.lsh", b!)))],
  ["bits.rsh", ([a, b]) => Number(BigInt(num("bits.rsh", a!)) >> BigInt(num("bits.rsh", b!)))],
];

function unionObjects(a: RObject, b: RObject): RObject {
  const out = new RObject();
  for (const [k, v] of a.m.values()) out.set(k, v);
  for (const [k, v] of b.m.values()) {
    const cur = out.get(k);
    out.set(k, cur instanceof RObject && v instanceof RObject ? unionObjects(cur, v) : v);
  }
  return out;
}

function trimWith(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set([...cut]);
  const cps = [...s];
  let i = 0;
  let j = cps.length;
  while (left && i < j && set.has(cps[i]!)) i++;
  while (right && j > i && set.has(cps[j - 1]!)) j--;
  return cps.slice(i, j).join("");
}

export const BUILTIN_IMPLS: ReadonlyMap<string, Impl> = new Map(ROWS);
export { key };
