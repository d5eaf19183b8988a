// Graph built-ins over adjacency objects ({node: array or set of neighbours}).
// A node whose neighbours are neither an array nor a set has none.
//   graph.reachable 2 | graph.reachable_paths 2
import { T_ARRAY, T_OBJECT, T_SET, arrLen, arrAt, capgate_set, capgate_array, capgate_object } from "../value";
import { realloc } from "../memory";
import { tabFind, tabPut, tabLen, entryAt, entryKey, entryValue } from "../table";
import { capgate_set_add, capgate_array_append, capgate_value_shallow_copy } from "../collections";
import { typeErr, isType } from "./common";

function count(c: usize): u32 {
  if (isType(c, T_ARRAY)) return arrLen(c);
  if (isType(c, T_SET)) return tabLen(c);
  return 0;
}

function vertexAt(c: usize, i: u32): usize {
  return isType(c, T_ARRAY) ? arrAt(c, i) : entryKey(entryAt(c, i));
}

/** Both built-ins take the same operands; false after recording a type error. */
function checkOperands(name: string, g: usize, initial: usize): bool {
  if (!isType(g, T_OBJECT)) { typeErr(name, 1, "object", g); return false; }
  if (!isType(initial, T_ARRAY) && !isType(initial, T_SET)) { typeErr(name, 2, "one of {array, set}", initial); return false; }
  return true;
}

export function capgate_bi_graph_reachable(g: usize, initial: usize): usize {
  if (!checkOperands("graph.reachable", g, initial)) return 0;
  let seen = capgate_set();
  let queue = capgate_array(0);
  let n = count(initial);
  for (let i: u32 = 0; i < n; i++) capgate_array_append(queue, vertexAt(initial, i));
  // The queue grows while we walk it: breadth-first over every edge once.
  for (let q: u32 = 0; q < arrLen(queue); q++) {
    let node = arrAt(queue, q);
    let e = tabFind(g, node);
    if (e == 0 || tabFind(seen, node) != 0) continue;
    capgate_set_add(seen, node);
    let edges = entryValue(e);
    let m = count(edges);
    for (let j: u32 = 0; j < m; j++) capgate_array_append(queue, vertexAt(edges, j));
  }
  return seen;
}

/** Records the path as it is now (it keeps changing as the walk goes on). */
function addCopy(out: usize, path: usize): void {
  capgate_set_add(out, capgate_value_shallow_copy(path));
}

// Depth-first state of reachable_paths, kept off the Wasm call stack so a long
// chain cannot exhaust it. One frame per node on the path after the start:
// [neighbours, next neighbour index, whether the frame put the node on the path].
// onPath maps a node to itself while it is on the path and to 0 after, which
// is cheaper than taking the entry out of the table.
let frames: usize = 0;
let frameCap: u32 = 0;
let depth: u32 = 0;
let path: usize = 0;
let onPath: usize = 0;

function isOnPath(node: usize): bool {
  let e = tabFind(onPath, node);
  return e != 0 && entryValue(e) != 0;
}

/** Steps onto node from the end of the path: records the path where it ends, else pushes a frame. */
function enter(g: usize, out: usize, node: usize): void {
  let e = tabFind(g, node);
  // A neighbour that is not a node of the graph ends the path before it.
  if (e == 0) { addCopy(out, path); return; }
  let edges = entryValue(e);
  capgate_array_append(path, node);
  if (count(edges) == 0) { addCopy(out, path); store<u32>(path, arrLen(path) - 1, 4); return; }
  if (depth == frameCap) {
    let cap = frameCap == 0 ? 16 : frameCap << 1;
    frames = realloc(frames, <usize>frameCap * 12, <usize>cap * 12);
    frameCap = cap;
  }
  let f = frames + <usize>depth * 12;
  store<u32>(f, <u32>edges);
  store<u32>(f, 0, 4);
  let added = !isOnPath(node);
  if (added) tabPut(onPath, node, node);
  store<u32>(f, added ? 1 : 0, 8);
  depth++;
}

/** Every path from start: it ends at a node without neighbours, before a missing node, or before a node already on it. */
function pathsFrom(g: usize, out: usize, start: usize, first: usize): void {
  path = capgate_array(4);
  capgate_array_append(path, start);
  onPath = capgate_object();
  tabPut(onPath, start, start);
  depth = 0;
  enter(g, out, first);
  while (depth > 0) {
    let f = frames + (<usize>depth - 1) * 12;
    let edges = <usize>load<u32>(f);
    let i = load<u32>(f, 4);
    if (i == count(edges)) {
      depth--;
      let len = arrLen(path);
      if (load<u32>(f, 8) != 0) tabPut(onPath, arrAt(path, len - 1), 0);
      store<u32>(path, len - 1, 4);
      continue;
    }
    store<u32>(f, i + 1, 4);
    let next = vertexAt(edges, i);
    if (isOnPath(next)) addCopy(out, path);
    else enter(g, out, next);
  }
}

export function capgate_bi_graph_reachable_paths(g: usize, initial: usize): usize {
  if (!checkOperands("graph.reachable_paths", g, initial)) return 0;
  let out = capgate_set();
  frames = 0;
  frameCap = 0;
  let n = count(initial);
  for (let i: u32 = 0; i < n; i++) {
    let start = vertexAt(initial, i);
    let e = tabFind(g, start);
    if (e == 0) continue;
    let edges = entryValue(e);
    let m = count(edges);
    if (m == 0) {
      let single = capgate_array(1);
      capgate_array_append(single, start);
      capgate_set_add(out, single);
    }
    // The first step is not checked against the start, so a self-loop gives [start, start].
    for (let j: u32 = 0; j < m; j++) pathsFrom(g, out, start, vertexAt(edges, j));
  }
  return out;
}
