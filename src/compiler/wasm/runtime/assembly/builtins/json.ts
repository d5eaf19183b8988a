// JSON Patch (RFC 6902) on Rego values, without mutating the input: every
// container on a modified path is copied. Paths are JSON pointers ("/a/0",
// "" for the root) or arrays of keys; with array paths a set member is
// addressed by its value. Any failing operation makes the result undefined.
//   json.patch 2
import { opa_malloc } from "../memory";
import {
  T_STRING, T_ARRAY, T_OBJECT, T_SET, T_NUMBER, N_INT, numInt, arrLen, arrAt, strLen, strPtr,
  capgate_array, capgate_string, stringAscii,
} from "../value";
import { tabFind, tabPut, tabRemove, tabCopy, entryValue, entryKey } from "../table";
import { capgate_array_append, capgate_set_add } from "../collections";
import { equalValues } from "../compare";
import { typeErr, isType } from "./common";

const OP_ADD: u32 = 1;
const OP_REMOVE: u32 = 2;
const OP_REPLACE: u32 = 3;

let failed = false;
// @ts-ignore: decorator
@inline function fail(): usize { failed = true; return 0; }

/** Split a JSON pointer into an array of unescaped string segments; 0 when malformed. */
function pointer(v: usize): usize {
  let p = strPtr(v), n = strLen(v);
  let segs = capgate_array(0);
  if (n == 0) return segs;
  if (load<u8>(p) != 47) return 0;
  let i: u32 = 1;
  while (true) {
    let out = opa_malloc(n);
    let o: u32 = 0;
    while (i < n && load<u8>(p + i) != 47) {
      let c = load<u8>(p + i);
      if (c == 126) {
        if (i + 1 >= n) return 0;
        let e = load<u8>(p + i + 1);
        if (e == 48) c = 126; else if (e == 49) c = 47; else return 0;
        i++;
      }
      store<u8>(out + o++, c);
      i++;
    }
    capgate_array_append(segs, capgate_string(out, o));
    if (i >= n) break;
    i++; // '/'
  }
  return segs;
}

function segments(path: usize): usize {
  if (isType(path, T_STRING)) return pointer(path);
  if (isType(path, T_ARRAY)) return path;
  return 0;
}

/** -2 for "-", -1 for invalid, else the array index the segment names. */
function arrayIndex(seg: usize): i64 {
  if (isType(seg, T_NUMBER)) {
    if (load<u8>(seg, 1) != N_INT) return -1;
    let i = numInt(seg);
    return i < 0 ? -1 : i;
  }
  if (!isType(seg, T_STRING)) return -1;
  let p = strPtr(seg), n = strLen(seg);
  if (n == 1 && load<u8>(p) == 45) return -2;
  if (n == 0 || n > 18 || (n > 1 && load<u8>(p) == 48)) return -1;
  let r: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let c = <u32>load<u8>(p + i) - 48;
    if (c > 9) return -1;
    r = r * 10 + <i64>c;
  }
  return r;
}

function copyArrayWithout(a: usize, skip: i64): usize {
  let n = arrLen(a);
  let r = capgate_array(n);
  for (let i: u32 = 0; i < n; i++) if (<i64>i != skip) capgate_array_append(r, arrAt(a, i));
  return r;
}

/** The child of a container named by seg, or 0. */
function child(node: usize, seg: usize): usize {
  let t = load<u8>(node);
  if (t == T_OBJECT) { let e = tabFind(node, seg); return e == 0 ? 0 : entryValue(e); }
  if (t == T_SET) { let e = tabFind(node, seg); return e == 0 ? 0 : entryKey(e); }
  if (t == T_ARRAY) {
    let i = arrayIndex(seg);
    if (i < 0 || i >= <i64>arrLen(node)) return 0;
    return arrAt(node, <u32>i);
  }
  return 0;
}

export function getPath(doc: usize, segs: usize): usize {
  let cur = doc;
  let n = arrLen(segs);
  for (let i: u32 = 0; i < n && cur != 0; i++) cur = child(cur, arrAt(segs, i));
  return cur;
}

/** Apply op at segs[i..] below node; returns the new node (a copy) or fails. */
function apply(node: usize, segs: usize, i: u32, op: u32, value: usize, viaSet: bool): usize {
  let seg = arrAt(segs, i);
  let last = i + 1 == arrLen(segs);
  let t = load<u8>(node);
  if (!last) {
    let c = child(node, seg);
    if (c == 0 || (t != T_OBJECT && t != T_ARRAY && t != T_SET)) return fail();
    let nc = apply(c, segs, i + 1, op, value, viaSet || t == T_SET);
    if (failed) return 0;
    if (t == T_OBJECT) { let r = tabCopy(node); tabPut(r, seg, nc); return r; }
    if (t == T_SET) { let r = tabCopy(node); tabRemove(r, c); capgate_set_add(r, nc); return r; }
    let idx = arrayIndex(seg);
    let n = arrLen(node);
    let r = capgate_array(n);
    for (let k: u32 = 0; k < n; k++) capgate_array_append(r, <i64>k == idx ? nc : arrAt(node, k));
    return r;
  }
  if (t == T_OBJECT) {
    let e = tabFind(node, seg);
    if (op != OP_ADD && e == 0) return fail();
    let r = tabCopy(node);
    if (op == OP_REMOVE) tabRemove(r, seg);
    else tabPut(r, seg, value);
    return r;
  }
  if (t == T_SET) {
    let e = tabFind(node, seg);
    if (op == OP_REMOVE) {
      if (e == 0) return fail();
      let r = tabCopy(node); tabRemove(r, seg); return r;
    }
    if (op == OP_REPLACE && (e == 0 || !equalValues(value, seg))) return fail();
    let r = tabCopy(node);
    capgate_set_add(r, value);
    return r;
  }
  if (t == T_ARRAY) {
    let idx = arrayIndex(seg);
    let n = <i64>arrLen(node);
    if (op == OP_ADD) {
      if (idx == -2) idx = n;
      if (idx < 0 || idx > n) return fail();
      let r = capgate_array(<u32>n + 1);
      for (let k: i64 = 0; k <= n; k++) {
        if (k == idx) capgate_array_append(r, value);
        if (k < n) capgate_array_append(r, arrAt(node, <u32>k));
      }
      return r;
    }
    if (idx < 0 || idx >= n) return fail();
    if (op == OP_REMOVE) return copyArrayWithout(node, idx);
    if (viaSet) return fail();
    let r = capgate_array(<u32>n);
    for (let k: i64 = 0; k < n; k++) capgate_array_append(r, k == idx ? value : arrAt(node, <u32>k));
    return r;
  }
  return fail();
}

let docDefined = true;

function operate(doc: usize, segs: usize, op: u32, value: usize): usize {
  if (arrLen(segs) == 0) {
    // The root: remove leaves no document; add/replace set it.
    if (op == OP_REMOVE) { if (!docDefined) return fail(); docDefined = false; return 0; }
    if (op == OP_REPLACE && !docDefined) return fail();
    docDefined = true;
    return value;
  }
  if (!docDefined) return fail();
  return apply(doc, segs, 0, op, value, false);
}

function field(patch: usize, name: string): usize {
  let e = tabFind(patch, stringAscii(name));
  return e == 0 ? 0 : entryValue(e);
}

function isPrefix(a: usize, b: usize): bool {
  let n = arrLen(a);
  if (n >= arrLen(b)) return false;
  for (let i: u32 = 0; i < n; i++) if (!equalValues(arrAt(a, i), arrAt(b, i))) return false;
  return true;
}

function fieldIs(v: usize, s: string): bool {
  let n = <u32>s.length;
  if (strLen(v) != n) return false;
  let p = strPtr(v), q = changetype<usize>(s);
  for (let i: u32 = 0; i < n; i++) if (<u16>load<u8>(p + i) != load<u16>(q + (i << 1))) return false;
  return true;
}

export function capgate_bi_json_patch(doc: usize, patches: usize): usize {
  if (!isType(patches, T_ARRAY)) return typeErr("json.patch", 2, "array", patches);
  failed = false;
  docDefined = true;
  let n = arrLen(patches);
  for (let i: u32 = 0; i < n; i++) {
    let p = arrAt(patches, i);
    if (!isType(p, T_OBJECT)) return 0;
    let op = field(p, "op");
    let path = field(p, "path");
    if (!isType(op, T_STRING) || path == 0) return 0;
    let segs = segments(path);
    if (segs == 0) return 0;
    if (fieldIs(op, "add") || fieldIs(op, "replace")) {
      let value = field(p, "value");
      if (value == 0) return 0;
      doc = operate(doc, segs, fieldIs(op, "add") ? OP_ADD : OP_REPLACE, value);
    } else if (fieldIs(op, "remove")) {
      doc = operate(doc, segs, OP_REMOVE, 0);
    } else if (fieldIs(op, "move") || fieldIs(op, "copy")) {
      let from = field(p, "from");
      if (from == 0) return 0;
      let fsegs = segments(from);
      if (fsegs == 0 || !docDefined) return 0;
      let v = arrLen(fsegs) == 0 ? doc : getPath(doc, fsegs);
      if (v == 0) return 0;
      if (fieldIs(op, "move")) {
        if (isPrefix(fsegs, segs)) return 0;
        doc = operate(doc, fsegs, OP_REMOVE, 0);
        if (failed) return 0;
      }
      doc = operate(doc, segs, OP_ADD, v);
    } else if (fieldIs(op, "test")) {
      let value = field(p, "value");
      if (value == 0 || !docDefined) return 0;
      let v = arrLen(segs) == 0 ? doc : getPath(doc, segs);
      if (v == 0 || !equalValues(v, value)) return 0;
    } else return 0;
    if (failed) return 0;
  }
  return docDefined ? doc : 0;
}
