// Comparing a result from the SDK (plain JSON) with an expected value in the
// suite's encoding: "#undefined", {"set!": [...]}, {"object!": [{key, value}]}.
// JSON has no sets and only string keys, so a set matches an array holding the
// same elements in any order, and a non-string key matches its JSON text.

export const UNDEFINED = Symbol("undefined");

export type Expected =
  | typeof UNDEFINED
  | null
  | boolean
  | number
  | string
  | { kind: "array"; items: Expected[] }
  | { kind: "set"; items: Expected[] }
  | { kind: "object"; entries: Array<[Expected, Expected]> };

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function decodeExpected(v: unknown): Expected {
  if (v === "#undefined") return UNDEFINED;
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return { kind: "array", items: v.map(decodeExpected) };
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "set!" && Array.isArray(v["set!"])) {
      return { kind: "set", items: (v["set!"] as unknown[]).map(decodeExpected) };
    }
    if (keys.length === 1 && keys[0] === "object!" && Array.isArray(v["object!"])) {
      return {
        kind: "object",
        entries: (v["object!"] as Array<{ key: unknown; value: unknown }>).map((e) => [decodeExpected(e.key), decodeExpected(e.value)]),
      };
    }
    return { kind: "object", entries: keys.map((k) => [k, decodeExpected(v[k])]) };
  }
  throw new Error(`cannot decode expected value ${String(v)}`);
}

/** A readable form of an expected value, for failure messages. */
export function showExpected(e: Expected): string {
  if (e === UNDEFINED) return "#undefined";
  if (e === null || typeof e !== "object") return JSON.stringify(e);
  if (e.kind === "array") return `[${e.items.map(showExpected).join(", ")}]`;
  if (e.kind === "set") return `{${e.items.map(showExpected).join(", ")}}` + (e.items.length ? "" : "set()");
  return `{${e.entries.map(([k, v]) => `${showExpected(k)}: ${showExpected(v)}`).join(", ")}}`;
}

/** null when `actual` matches, else a short description of the first difference. */
export function mismatch(actual: unknown, expected: Expected, path = "$"): string | null {
  if (expected === UNDEFINED) return actual === undefined ? null : `${path}: want undefined, got ${JSON.stringify(actual)}`;
  if (actual === undefined) return `${path}: want ${showExpected(expected)}, got undefined`;
  if (typeof expected === "number") {
    return typeof actual === "number" && actual === expected ? null : `${path}: want ${expected}, got ${JSON.stringify(actual)}`;
  }
  if (expected === null || typeof expected !== "object") {
    return actual === expected ? null : `${path}: want ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (expected.kind === "array") {
    if (!Array.isArray(actual)) return `${path}: want an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.items.length) return `${path}: want ${expected.items.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < actual.length; i++) {
      const m = mismatch(actual[i], expected.items[i]!, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected.kind === "set") {
    if (!Array.isArray(actual)) return `${path}: want a set, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.items.length) return `${path}: want a set of ${expected.items.length}, got ${actual.length}: ${JSON.stringify(actual)}`;
    const used = new Set<number>();
    for (const item of expected.items) {
      const j = actual.findIndex((a, k) => !used.has(k) && mismatch(a, item) === null);
      if (j < 0) return `${path}: set element ${showExpected(item)} missing from ${JSON.stringify(actual)}`;
      used.add(j);
    }
    return null;
  }
  if (!isPlainObject(actual)) return `${path}: want an object, got ${JSON.stringify(actual)}`;
  const defined = expected.entries.filter(([, v]) => v !== UNDEFINED);
  const actualKeys = Object.keys(actual);
  for (const [k, v] of expected.entries) {
    const key = matchKey(actualKeys, k);
    if (v === UNDEFINED) {
      if (key !== undefined) return `${path}: key ${showExpected(k)} should be absent`;
      continue;
    }
    if (key === undefined) return `${path}: key ${showExpected(k)} missing from ${JSON.stringify(actual)}`;
    const m = mismatch(actual[key], v, `${path}.${key}`);
    if (m) return m;
  }
  if (actualKeys.length !== defined.length) return `${path}: want ${defined.length} keys, got ${actualKeys.length}: ${JSON.stringify(actualKeys)}`;
  return null;
}

function matchKey(keys: string[], k: Expected): string | undefined {
  if (typeof k === "string") return keys.includes(k) ? k : undefined;
  return keys.find((s) => {
    try {
      return mismatch(JSON.parse(s) as unknown, k) === null;
    } catch {
      return false;
    }
  });
}
