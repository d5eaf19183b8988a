// walk(x) as a collection: Rego's walk is a relation (one [path, value] per
// node), so the runtime returns every pair in pre-order as an array that the
// planned code scans. Paths are arrays of keys (array indexes as numbers).
//   walk 1
import { T_ARRAY, T_OBJECT, T_SET, arrLen, arrAt, capgate_array, capgate_number_int } from "../value";
import { tabLen, tabSort, entryAt, entryKey, entryValue } from "../table";
import { capgate_array_append } from "../collections";

function extend(path: usize, key: usize): usize {
  let n = arrLen(path);
  let p = capgate_array(n + 1);
  for (let i: u32 = 0; i < n; i++) capgate_array_append(p, arrAt(path, i));
  capgate_array_append(p, key);
  return p;
}

function visit(out: usize, path: usize, v: usize): void {
  let pair = capgate_array(2);
  capgate_array_append(pair, path);
  capgate_array_append(pair, v);
  capgate_array_append(out, pair);
  let t = load<u8>(v);
  if (t == T_ARRAY) {
    let n = arrLen(v);
    for (let i: u32 = 0; i < n; i++) visit(out, extend(path, capgate_number_int(<i64>i)), arrAt(v, i));
  } else if (t == T_OBJECT || t == T_SET) {
    tabSort(v);
    let n = tabLen(v);
    for (let i: u32 = 0; i < n; i++) {
      let e = entryAt(v, i);
      visit(out, extend(path, entryKey(e)), entryValue(e));
    }
  }
}

export function capgate_bi_walk(v: usize): usize {
  if (v == 0) return 0;
  let out = capgate_array(8);
  visit(out, capgate_array(0), v);
  return out;
}
