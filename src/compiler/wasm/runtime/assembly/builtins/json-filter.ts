// json.filter and json.remove: keep, or drop, the parts of an object that a
// list of paths names. As in OPA, the paths are first merged into a tree (an
// object whose leaves are null), where a shorter path swallows every longer
// one it prefixes. Array elements are named by their decimal index as a string
// ("0", not 0, not "00"); set members by their value; a path that reaches a
// scalar early keeps that scalar. Arrays close up where elements are dropped.
//   json.filter 2 | json.remove 2
import { opa_malloc } from "../memory";
import {
  T_NULL, T_STRING, T_ARRAY, T_OBJECT, T_SET, arrLen, arrAt, strLen, strPtr,
  capgate_array, capgate_object, capgate_set, capgate_string, capgate_null,
} from "../value";
import { tabFind, tabPut, tabLen, entryAt, entryKey, entryValue } from "../table";
import { capgate_array_append, capgate_set_add } from "../collections";
import { typeErr, isType } from "./common";

const PATHS = "one of {set, array}";
const PATH = "one of {set, array} containing string paths or array of path segments";

/** "a/b~1c" → ["a", "b/c"]; leading slashes are dropped and "" names no path. */
function splitPath(s: usize): usize {
  let p = strPtr(s), n = strLen(s);
  let segs = capgate_array(0);
  if (n == 0) return segs;
  let i: u32 = 0;
  while (i < n && load<u8>(p + i) == 47) i++;
  while (true) {
    let out = opa_malloc(n - i);
    let o: u32 = 0;
    while (i < n && load<u8>(p + i) != 47) {
      let c = load<u8>(p + i++);
      // One left-to-right pass gives what OPA's "~1" then "~0" replacements give.
      if (c == 126 && i < n) {
        let e = load<u8>(p + i);
        if (e == 49) { c = 47; i++; } else if (e == 48) { i++; }
      }
      store<u8>(out + o++, c);
    }
    capgate_array_append(segs, capgate_string(out, o));
    if (i >= n) break;
    i++; // '/'
  }
  return segs;
}

/** Merges one path into the tree; a null node already covers everything below it. */
function addPath(root: usize, segs: usize): void {
  let n = arrLen(segs);
  if (n == 0) return;
  let node = root;
  for (let i: u32 = 0; i + 1 < n; i++) {
    let k = arrAt(segs, i);
    let e = tabFind(node, k);
    if (e == 0) {
      let child = capgate_object();
      tabPut(node, k, child);
      node = child;
    } else if (isType(entryValue(e), T_NULL)) return;
    else node = entryValue(e);
  }
  tabPut(node, arrAt(segs, n - 1), capgate_null());
}

/** The path tree of operand 2, or 0 after recording a type error. */
function pathTree(name: string, paths: usize): usize {
  let isSet = isType(paths, T_SET);
  if (!isSet && !isType(paths, T_ARRAY)) return typeErr(name, 2, PATHS, paths);
  let root = capgate_object();
  let n = isSet ? tabLen(paths) : arrLen(paths);
  for (let i: u32 = 0; i < n; i++) {
    let p = isSet ? entryKey(entryAt(paths, i)) : arrAt(paths, i);
    if (isType(p, T_STRING)) addPath(root, splitPath(p));
    else if (isType(p, T_ARRAY)) addPath(root, p);
    else return typeErr(name, 2, PATH, p);
  }
  return root;
}

// A string value rewritten in place for each array index looked up.
let indexKey: usize = 0;

function indexNode(tree: usize, i: u32): usize {
  let p = strPtr(indexKey);
  let n: u32 = 1;
  for (let x = i; x >= 10; x /= 10) n++;
  let x = i;
  for (let j = n; j > 0; j--) {
    store<u8>(p + j - 1, <u8>(48 + x % 10));
    x /= 10;
  }
  store<u32>(indexKey, n, 4);
  return named(tree, indexKey);
}

/** The tree node under key k, or 0. */
function named(tree: usize, k: usize): usize {
  let e = tabFind(tree, k);
  return e == 0 ? 0 : entryValue(e);
}

// true for json.filter (keep what the tree names), false for json.remove (drop it).
let keeping = true;

/** What becomes of x, named by tree node sub (0: not named); 0 when it goes. */
function child(x: usize, sub: usize): usize {
  if (sub == 0) return keeping ? 0 : x;
  if (isType(sub, T_NULL)) return keeping ? x : 0;
  return prune(x, sub);
}

/** v with its children kept or dropped as the tree (an object node) says; a scalar stays. */
function prune(v: usize, tree: usize): usize {
  let t = load<u8>(v);
  if (t == T_ARRAY) {
    let r = capgate_array(0);
    let n = arrLen(v);
    for (let i: u32 = 0; i < n; i++) {
      let y = child(arrAt(v, i), indexNode(tree, i));
      if (y != 0) capgate_array_append(r, y);
    }
    return r;
  }
  if (t == T_OBJECT || t == T_SET) {
    // A set member is named by its value, which is also its entry's value.
    let r = t == T_SET ? capgate_set() : capgate_object();
    let n = tabLen(v);
    for (let i: u32 = 0; i < n; i++) {
      let e = entryAt(v, i);
      let y = child(entryValue(e), named(tree, entryKey(e)));
      if (y == 0) continue;
      if (t == T_SET) capgate_set_add(r, y);
      else tabPut(r, entryKey(e), y);
    }
    return r;
  }
  return v;
}

/** json.filter (keep) or json.remove (drop) of the paths in o; 0 after a type error. */
function run(name: string, o: usize, paths: usize, keep: bool): usize {
  if (!isType(o, T_OBJECT)) return typeErr(name, 1, "object", o);
  indexKey = capgate_string(opa_malloc(10), 0);
  let tree = pathTree(name, paths);
  if (tree == 0) return 0;
  keeping = keep;
  return prune(o, tree);
}

export function capgate_bi_json_filter(o: usize, paths: usize): usize { return run("json.filter", o, paths, true); }

export function capgate_bi_json_remove(o: usize, paths: usize): usize { return run("json.remove", o, paths, false); }
