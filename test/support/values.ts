// Test support: the Rego value model used by the reference IR interpreter, with
// conversion from JSON / YAML test data (including the conformance encodings
// `{"set!": [...]}`, `{"object!": [...]}`) and a canonical key for equality.

export type V = null | boolean | number | string | V[] | RObject | RSet;

export class RObject {
  readonly m = new Map<string, [V, V]>();
  get(k: V): V | undefined {
    return this.m.get(key(k))?.[1];
  }
  set(k: V, v: V): void {
    this.m.set(key(k), [k, v]);
  }
}

export class RSet {
  readonly m = new Map<string, V>();
  add(v: V): void {
    this.m.set(key(v), v);
  }
  has(v: V): boolean {
    return this.m.has(key(v));
  }
}

const TYPE_ORDER = (v: V): number =>
  v === null ? 0 : typeof v === "boolean" ? 1 : typeof v === "number" ? 2 : typeof v === "string" ? 3 : Array.isArray(v) ? 4 : v instanceof RObject ? 5 : 6;

/** Rego's total order, OPA's (ast/compare.go): null < booleans < numbers < strings < arrays < objects < sets. */
export function compare(a: V, b: V): number {
  const ta = TYPE_ORDER(a);
  const tb = TYPE_ORDER(b);
  if (ta !== tb) return ta - tb;
  if (a === null) return 0;
  if (typeof a === "boolean" || typeof a === "number" || typeof a === "string") return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  if (Array.isArray(a)) {
    const bb = b as V[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compare(a[i]!, bb[i]!);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  if (a instanceof RObject) {
    const ea = sortedEntries(a);
    const eb = sortedEntries(b as RObject);
    for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
      const c = compare(ea[i]![0], eb[i]![0]) || compare(ea[i]![1], eb[i]![1]);
      if (c !== 0) return c;
    }
    return ea.length - eb.length;
  }
  return compare(sortedItems(a as RSet), sortedItems(b as RSet));
}

export function sortedEntries(o: RObject): Array<[V, V]> {
  return [...o.m.values()].sort((x, y) => compare(x[0], y[0]));
}

export function sortedItems(s: RSet): V[] {
  return [...s.m.values()].sort(compare);
}

/** A canonical string: equal Rego values have equal keys (1 and 1.0 included). */
export function key(v: V): string {
  if (v === null || typeof v === "boolean" || typeof v === "number") return JSON.stringify(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(key).join(",")}]`;
  if (v instanceof RObject) return `{${sortedEntries(v).map(([k, x]) => `${key(k)}:${key(x)}`).join(",")}}`;
  return `set(${sortedItems(v).map(key).join(",")})`;
}

export function equal(a: V, b: V): boolean {
  return key(a) === key(b);
}

export function fromJSON(x: unknown): V {
  if (x === null || typeof x === "boolean" || typeof x === "number" || typeof x === "string") return x;
  if (Array.isArray(x)) return x.map(fromJSON);
  if (typeof x === "object") {
    const o = new RObject();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) o.set(k, fromJSON(v));
    return o;
  }
  throw new Error(`not a JSON value: ${String(x)}`);
}

/** Reads an expected value from a test case, decoding `set!`, `object!`; "#undefined" gives undefined. */
export function fromExpected(x: unknown): V | undefined {
  if (x === "#undefined") return undefined;
  if (x instanceof Map) {
    if (x.size === 1 && (x.has("set!") || x.has("object!"))) {
      const [k, v] = [...x][0]!;
      return fromExpected({ [k]: v instanceof Map ? v : Array.isArray(v) ? v.map((e) => (e instanceof Map ? mapToEntry(e) : e)) : v });
    }
    const o = new RObject();
    for (const [k, v] of x) {
      const d = fromExpected(v);
      if (d !== undefined) o.set(fromExpected(k) ?? null, d);
    }
    return o;
  }
  if (x === null || typeof x !== "object") return fromJSON(x);
  if (Array.isArray(x)) return x.map((i) => fromExpected(i) ?? null);
  const rec = x as Record<string, unknown>;
  const keys = Object.keys(rec);
  if (keys.length === 1 && keys[0] === "set!" && Array.isArray(rec["set!"])) {
    const s = new RSet();
    for (const i of rec["set!"]) s.add(fromExpected(i) ?? null);
    return s;
  }
  if (keys.length === 1 && keys[0] === "object!" && Array.isArray(rec["object!"])) {
    const o = new RObject();
    for (const e of rec["object!"] as Array<{ key: unknown; value: unknown }>) o.set(fromExpected(e.key) ?? null, fromExpected(e.value) ?? null);
    return o;
  }
  const o = new RObject();
  for (const [k, v] of Object.entries(rec)) {
    const d = fromExpected(v);
    if (d !== undefined) o.set(k, d);
  }
  return o;
}

function mapToEntry(e: Map<unknown, unknown>): unknown {
  // `object!` entries are {key, value} maps; other array items stay Maps for fromExpected.
  return e.has("key") && e.has("value") && e.size === 2 ? { key: e.get("key"), value: e.get("value") } : e;
}

/** JSON for display; sets become sorted arrays. */
export function toJSON(v: V): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(toJSON);
  if (v instanceof RObject) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of sortedEntries(v)) out[typeof k === "string" ? k : key(k)] = toJSON(x);
    return out;
  }
  return { "set!": sortedItems(v).map(toJSON) };
}

export function typeName(v: V): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "array";
  return v instanceof RObject ? "object" : "set";
}

/**
 * Reads a value in the Rego syntax of the runtime's opa_value_dump: JSON
 * scalars and arrays, `{k: v, ...}` objects with keys of any type, `{a, ...}`
 * sets and `set()`. Whitespace between tokens is allowed.
 */
export function fromRegoText(text: string): V {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`Rego value text at ${i}: ${what}: ${text.slice(Math.max(0, i - 20), i + 20)}`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const eat = (c: string): boolean => {
    skip();
    if (text[i] !== c) return false;
    i++;
    return true;
  };
  const scalar = (): V => {
    const m = /^(?:null|true|false|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*")/.exec(text.slice(i));
    if (m === null) return fail("expected a value");
    i += m[0].length;
    return JSON.parse(m[0]) as V;
  };
  const value = (): V => {
    skip();
    if (text.startsWith("set()", i)) {
      i += 5;
      return new RSet();
    }
    if (eat("[")) {
      const items: V[] = [];
      if (eat("]")) return items;
      do items.push(value());
      while (eat(","));
      if (!eat("]")) fail("expected , or ]");
      return items;
    }
    if (eat("{")) {
      if (eat("}")) return new RObject();
      const first = value();
      if (eat(":")) {
        const o = new RObject();
        o.set(first, value());
        while (eat(",")) {
          const k = value();
          if (!eat(":")) fail("expected :");
          o.set(k, value());
        }
        if (!eat("}")) fail("expected , or }");
        return o;
      }
      const s = new RSet();
      s.add(first);
      while (eat(",")) s.add(value());
      if (!eat("}")) fail("expected , or }");
      return s;
    }
    return scalar();
  };
  const v = value();
  skip();
  if (i !== text.length) fail("unexpected text after the value");
  return v;
}
