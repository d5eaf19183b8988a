// Comparing a result with an expected value, both in the Rego value model of
// test/support/values.ts: results are read from the module's Rego-syntax output
// and expectations from the suite's encoding ("#undefined", {"set!": [...]},
// {"object!": [{key, value}]}, typed YAML keys), so a set never passes for an
// array, nor a key 1 for a key "1".
import { RObject, RSet, sortedEntries, sortedItems, equal, toJSON, typeName, type V } from "../support/values.js";

/** A readable form of a value, for failure messages: sets as {"set!": [...]}. */
export function show(v: V | undefined): string {
  return v === undefined ? "undefined" : JSON.stringify(toJSON(v));
}

/** null when `actual` matches, else a short description of the first difference. */
export function mismatch(actual: V | undefined, expected: V | undefined, path = "$"): string | null {
  if (expected === undefined) return actual === undefined ? null : `${path}: want undefined, got ${show(actual)}`;
  if (actual === undefined) return `${path}: want ${show(expected)}, got undefined`;
  if (typeName(actual) !== typeName(expected)) return `${path}: want the ${typeName(expected)} ${show(expected)}, got the ${typeName(actual)} ${show(actual)}`;
  if (Array.isArray(expected)) {
    const a = actual as V[];
    if (a.length !== expected.length) return `${path}: want ${expected.length} elements, got ${a.length}: ${show(a)}`;
    for (let i = 0; i < a.length; i++) {
      const m = mismatch(a[i], expected[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected instanceof RSet) {
    const a = actual as RSet;
    for (const item of sortedItems(expected)) if (!a.has(item)) return `${path}: set element ${show(item)} missing from ${show(a)}`;
    return a.m.size === expected.m.size ? null : `${path}: want a set of ${expected.m.size}, got ${a.m.size}: ${show(a)}`;
  }
  if (expected instanceof RObject) {
    const a = actual as RObject;
    for (const [k, v] of sortedEntries(expected)) {
      const got = a.get(k);
      if (got === undefined) return `${path}: key ${show(k)} missing from ${show(a)}`;
      const m = mismatch(got, v, `${path}.${typeof k === "string" ? k : show(k)}`);
      if (m) return m;
    }
    return a.m.size === expected.m.size ? null : `${path}: want ${expected.m.size} keys, got ${a.m.size}: ${show(a)}`;
  }
  return equal(actual, expected) ? null : `${path}: want ${show(expected)}, got ${show(actual)}`;
}
