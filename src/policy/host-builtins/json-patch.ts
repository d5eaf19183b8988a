// RFC 6902 JSON Patch as OPA's json.patch applies it: paths are JSON pointers
// ("/a/0") or arrays of segments; a patch that cannot apply makes the call
// undefined. Works on JSON values (the SDK hands sets over as arrays).

import { toJsonText } from "./types.js";

type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

class PatchFailed extends Error {}

const fail = (why: string): never => {
  throw new PatchFailed(why);
};

function segments(path: unknown): string[] {
  if (typeof path === "string") {
    if (path === "") return [];
    if (!path.startsWith("/")) fail("pointer must start with /");
    return path.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  }
  if (Array.isArray(path)) {
    return path.map((s) => {
      if (typeof s === "string") return s;
      if (typeof s === "number" && Number.isInteger(s) && s >= 0) return String(s);
      return fail("array path segments must be strings or non-negative integers");
    });
  }
  return fail("path must be a string or an array");
}

function arrayIndex(seg: string, len: number, allowEnd: boolean): number {
  if (allowEnd && seg === "-") return len;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) fail(`bad array index ${seg}`);
  const i = Number(seg);
  if (i > len || (!allowEnd && i === len)) fail(`array index ${seg} out of range`);
  return i;
}

const clone = (v: Json): Json => (v === null || typeof v !== "object" ? v : structuredClone(v));

/** Returns the parent container and the final segment. */
function parentOf(doc: Json, segs: string[]): [Json, string] {
  let node = doc;
  for (const s of segs.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(s, node.length, false)]!;
    else if (node !== null && typeof node === "object" && s in node) node = node[s]!;
    else fail("path not found");
  }
  return [node, segs[segs.length - 1]!];
}

function get(doc: Json, segs: string[]): Json {
  let node = doc;
  for (const s of segs) {
    if (Array.isArray(node)) node = node[arrayIndex(s, node.length, false)]!;
    else if (node !== null && typeof node === "object" && s in node) node = node[s]!;
    else fail("path not found");
  }
  return node;
}

function add(doc: Json, segs: string[], value: Json): Json {
  if (segs.length === 0) return value;
  const [parent, last] = parentOf(doc, segs);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (parent !== null && typeof parent === "object") parent[last] = value;
  else fail("parent is not a container");
  return doc;
}

function remove(doc: Json, segs: string[]): Json | undefined {
  if (segs.length === 0) return undefined;
  const [parent, last] = parentOf(doc, segs);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (parent !== null && typeof parent === "object" && last in parent) delete parent[last];
  else fail("path not found");
  return doc;
}

const equal = (a: Json, b: Json): boolean => toJsonText(sortDeep(a)) === toJsonText(sortDeep(b));
const sortDeep = (v: Json): Json =>
  Array.isArray(v) ? v.map(sortDeep) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep(v[k]!)])) : v;

/** Applies the patches; undefined when any operation cannot apply. */
export function applyJsonPatch(target: unknown, patches: unknown[]): unknown {
  let doc: Json | undefined = clone(target as Json);
  try {
    for (const p of patches) {
      if (p === null || typeof p !== "object" || Array.isArray(p)) fail("operation must be an object");
      const op = p as Record<string, unknown>;
      if (typeof op["op"] !== "string") fail("missing op");
      if (!("path" in op)) fail("missing path");
      const path = segments(op["path"]);
      const needValue = (): Json => ("value" in op ? clone(op["value"] as Json) : fail("missing value"));
      const from = (): string[] => ("from" in op ? segments(op["from"]) : fail("missing from"));
      if (doc === undefined && op["op"] !== "add") fail("document removed");
      switch (op["op"]) {
        case "add":
          doc = doc === undefined ? (path.length === 0 ? needValue() : fail("document removed")) : add(doc, path, needValue());
          break;
        case "remove":
          doc = remove(doc!, path);
          break;
        case "replace":
          get(doc!, path);
          doc = add(remove(doc!, path) ?? null, path, needValue());
          break;
        case "move": {
          const f = from();
          if (path.length > f.length && f.every((s, i) => path[i] === s)) fail("cannot move into own child");
          const v = clone(get(doc!, f));
          doc = add(remove(doc!, f) ?? null, path, v);
          break;
        }
        case "copy":
          doc = add(doc!, path, clone(get(doc!, from())));
          break;
        case "test":
          if (!equal(get(doc!, path), needValue())) fail("test failed");
          break;
        default:
          fail(`unknown op ${String(op["op"])}`);
      }
    }
  } catch (e) {
    if (e instanceof PatchFailed) return undefined;
    throw e;
  }
  return doc;
}
