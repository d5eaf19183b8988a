// Graph built-ins over adjacency objects ({node: array or set of neighbours}).
//   graph.reachable 2
import { T_ARRAY, T_OBJECT, T_SET, arrLen, arrAt, capgate_set, capgate_array } from "../value";
import { tabFind, tabLen, entryAt, entryKey, entryValue } from "../table";
import { capgate_set_add, capgate_array_append } from "../collections";
import { typeErr, isType } from "./common";

export function capgate_bi_graph_reachable(g: usize, initial: usize): usize {
  if (!isType(g, T_OBJECT)) return typeErr("graph.reachable", 1, "object", g);
  if (!isType(initial, T_ARRAY) && !isType(initial, T_SET)) return typeErr("graph.reachable", 2, "one of {array, set}", initial);
  let seen = capgate_set();
  let queue = capgate_array(0);
  let n = isType(initial, T_ARRAY) ? arrLen(initial) : tabLen(initial);
  for (let i: u32 = 0; i < n; i++) {
    let x = isType(initial, T_ARRAY) ? arrAt(initial, i) : entryKey(entryAt(initial, i));
    capgate_array_append(queue, x);
  }
  // The queue grows while we walk it: breadth-first over every edge once.
  for (let q: u32 = 0; q < arrLen(queue); q++) {
    let node = arrAt(queue, q);
    let e = tabFind(g, node);
    if (e == 0 || tabFind(seen, node) != 0) continue;
    capgate_set_add(seen, node);
    let edges = entryValue(e);
    if (isType(edges, T_ARRAY)) {
      let m = arrLen(edges);
      for (let j: u32 = 0; j < m; j++) capgate_array_append(queue, arrAt(edges, j));
    } else if (isType(edges, T_SET)) {
      let m = tabLen(edges);
      for (let j: u32 = 0; j < m; j++) capgate_array_append(queue, entryKey(entryAt(edges, j)));
    }
  }
  return seen;
}
