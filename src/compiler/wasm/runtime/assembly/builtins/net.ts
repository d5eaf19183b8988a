// CIDR built-ins for IPv4 and IPv6. Addresses are held in 16 bytes (IPv4 in
// its mapped form); as in Go, an IPv4 and an IPv6 network never match.
//   net.cidr_contains 2 | net.cidr_intersects 2 | net.cidr_contains_matches 2 | net.cidr_merge 1
//   net.cidr_overlap 2 (deprecated name of net.cidr_contains)
import {
  T_STRING, T_ARRAY, T_SET, T_OBJECT, strLen, strPtr, arrLen, arrAt, capgate_boolean, capgate_array, capgate_set,
  capgate_number_int, capgate_string,
} from "../value";
import { capgate_array_append, capgate_set_add } from "../collections";
import { opa_malloc } from "../memory";
import { tabLen, entryAt, entryKey, entryValue } from "../table";
import { typeErr, builtinErr, isType } from "./common";

// Two parsed networks: 16 address bytes each, plus prefix lengths (in IPv6 bits).
const ADDR_A = memory.data(16);
const ADDR_B = memory.data(16);
let prefix: i32 = 0;
let isV6 = false;

function hexDigit(c: u32): i32 {
  if (c >= 48 && c <= 57) return <i32>(c - 48);
  if (c >= 97 && c <= 102) return <i32>(c - 87);
  if (c >= 65 && c <= 70) return <i32>(c - 55);
  return -1;
}

/** Parse dotted IPv4 into out[12..16] (mapped form); returns false when malformed. */
function parseV4(p: usize, n: u32, out: usize): bool {
  let part: u32 = 0, val: u32 = 0, digits: u32 = 0;
  for (let i: u32 = 0; i <= n; i++) {
    let c = i < n ? <u32>load<u8>(p + i) : 46;
    if (c == 46) {
      if (digits == 0 || val > 255 || part > 3) return false;
      store<u8>(out + 12 + part, <u8>val);
      part++; val = 0; digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && val == 0) return false; // no leading zeros
      val = val * 10 + (c - 48); digits++;
      if (digits > 3) return false;
    } else return false;
  }
  if (part != 4) return false;
  memory.fill(out, 0, 10);
  store<u8>(out + 10, 0xff);
  store<u8>(out + 11, 0xff);
  return true;
}

/** Parse IPv6 (with :: and an optional trailing dotted IPv4) into out[0..16]. */
function parseV6(p: usize, n: u32, out: usize): bool {
  memory.fill(out, 0, 16);
  let groups: i32 = 0;
  let gap: i32 = -1;
  let i: u32 = 0;
  if (n >= 2 && load<u8>(p) == 58 && load<u8>(p + 1) == 58) { gap = 0; i = 2; }
  else if (n >= 1 && load<u8>(p) == 58) return false;
  while (i < n) {
    if (groups >= 8) return false;
    // A trailing dotted IPv4 part fills two groups.
    let j = i;
    let dotted = false;
    while (j < n && load<u8>(p + j) != 58) { if (load<u8>(p + j) == 46) dotted = true; j++; }
    if (dotted) {
      if (j != n || groups > 6) return false;
      let tmp = memory.data(16);
      if (!parseV4(p + i, n - i, tmp)) return false;
      memory.copy(out + (<usize>groups << 1), tmp + 12, 4);
      groups += 2;
      i = n;
      break;
    }
    let v: i32 = 0, d: u32 = 0;
    while (i < n && load<u8>(p + i) != 58) {
      let h = hexDigit(load<u8>(p + i));
      if (h < 0 || d >= 4) return false;
      v = (v << 4) | h; d++; i++;
    }
    if (d == 0) return false;
    store<u8>(out + (<usize>groups << 1), <u8>(v >> 8));
    store<u8>(out + (<usize>groups << 1) + 1, <u8>v);
    groups++;
    if (i < n) {
      i++; // ':'
      if (i < n && load<u8>(p + i) == 58) {
        if (gap >= 0) return false;
        gap = groups;
        i++;
      } else if (i == n) return false;
    }
  }
  if (gap < 0) return groups == 8;
  if (groups > 7) return false;
  // Move the groups after the gap to the end.
  let tail = groups - gap;
  let tmp = memory.data(16);
  memory.copy(tmp, out + (<usize>gap << 1), <usize>tail << 1);
  memory.fill(out + (<usize>gap << 1), 0, (<usize>(8 - gap)) << 1);
  memory.copy(out + (<usize>(8 - tail) << 1), tmp, <usize>tail << 1);
  return true;
}

/** Parse "addr" or "addr/len" into out; prefix (in IPv6 bits) lands in `prefix`. */
function parseNet(v: usize, out: usize, needPrefix: bool): bool {
  let p = strPtr(v), n = strLen(v);
  let slash: i32 = -1;
  let colon = false;
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + i);
    if (c == 47) { slash = <i32>i; break; }
    if (c == 58) colon = true;
  }
  if (needPrefix && slash < 0) return false;
  let an = slash < 0 ? n : <u32>slash;
  if (colon ? !parseV6(p, an, out) : !parseV4(p, an, out)) return false;
  let max: i32 = colon ? 128 : 32;
  let bits = max;
  if (slash >= 0) {
    bits = 0;
    let digits: u32 = 0;
    for (let i = <u32>slash + 1; i < n; i++) {
      let c = <u32>load<u8>(p + i);
      if (c < 48 || c > 57 || digits >= 3) return false;
      bits = bits * 10 + <i32>(c - 48); digits++;
    }
    if (digits == 0 || bits > max) return false;
  }
  prefix = colon ? bits : bits + 96;
  isV6 = colon;
  return true;
}

/** Do the first `bits` bits of a and b agree? */
function samePrefix(a: usize, b: usize, bits: i32): bool {
  let full = bits >> 3;
  for (let i = 0; i < full; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  let rest = bits & 7;
  if (rest == 0) return true;
  let mask: u32 = (<u32>0xff << <u32>(8 - rest)) & 0xff;
  return (<u32>load<u8>(a + full) & mask) == (<u32>load<u8>(b + full) & mask);
}

/** Does network `cidr` contain address or network `x`? 1 or 0, or -1 after recording the error under `name`. */
function contains(name: string, cidr: usize, x: usize): i32 {
  if (!isType(cidr, T_STRING)) { typeErr(name, 1, "string", cidr); return -1; }
  if (!isType(x, T_STRING)) { typeErr(name, 2, "string", x); return -1; }
  if (!parseNet(cidr, ADDR_A, true)) { builtinErr(name, "invalid CIDR"); return -1; }
  let pa = prefix;
  let fa = isV6;
  if (!parseNet(x, ADDR_B, false)) { builtinErr(name, "invalid IP address or CIDR"); return -1; }
  let pb = prefix;
  return fa == isV6 && pb >= pa && samePrefix(ADDR_A, ADDR_B, pa) ? 1 : 0;
}

export function capgate_bi_net_cidr_contains(cidr: usize, x: usize): usize {
  let r = contains("net.cidr_contains", cidr, x);
  return r < 0 ? 0 : capgate_boolean(<u32>r);
}

/** The deprecated name of net.cidr_contains. */
export function capgate_bi_net_cidr_overlap(cidr: usize, x: usize): usize {
  let r = contains("net.cidr_overlap", cidr, x);
  return r < 0 ? 0 : capgate_boolean(<u32>r);
}

export function capgate_bi_net_cidr_intersects(a: usize, b: usize): usize {
  if (!isType(a, T_STRING)) return typeErr("net.cidr_intersects", 1, "string", a);
  if (!isType(b, T_STRING)) return typeErr("net.cidr_intersects", 2, "string", b);
  if (!parseNet(a, ADDR_A, true)) return builtinErr("net.cidr_intersects", "invalid CIDR");
  let pa = prefix;
  let fa = isV6;
  if (!parseNet(b, ADDR_B, true)) return builtinErr("net.cidr_intersects", "invalid CIDR");
  let pb = prefix;
  return capgate_boolean(fa == isV6 && samePrefix(ADDR_A, ADDR_B, pa < pb ? pa : pb) ? 1 : 0);
}

const MATCHES = "net.cidr_contains_matches";

/** The network of one element of a cidr_contains_matches operand: a string, or the first item of an array. */
function matchTerm(operand: u32, v: usize): usize {
  if (isType(v, T_STRING)) return v;
  if (isType(v, T_ARRAY) && arrLen(v) > 0) return arrAt(v, 0);
  builtinErr(MATCHES, operand == 1 ? "operand 1: element must be string or non-empty array" : "operand 2: element must be string or non-empty array");
  return 0;
}

// The (key, network) pairs of an operand: a string is its own key; array
// elements are keyed by index, set elements by themselves, object values by key.
let pairKeys: usize = 0;
let pairNets: usize = 0;
function pairsOf(operand: u32, v: usize): bool {
  pairKeys = capgate_array(0);
  pairNets = capgate_array(0);
  if (isType(v, T_STRING)) {
    capgate_array_append(pairKeys, v);
    capgate_array_append(pairNets, v);
    return true;
  }
  if (isType(v, T_ARRAY)) {
    for (let i: u32 = 0; i < arrLen(v); i++) {
      let t = matchTerm(operand, arrAt(v, i));
      if (t == 0) return false;
      capgate_array_append(pairKeys, capgate_number_int(<i64>i));
      capgate_array_append(pairNets, t);
    }
    return true;
  }
  if (isType(v, T_SET) || isType(v, T_OBJECT)) {
    let set = isType(v, T_SET);
    for (let i: u32 = 0; i < tabLen(v); i++) {
      let e = entryAt(v, i);
      let t = matchTerm(operand, set ? entryKey(e) : entryValue(e));
      if (t == 0) return false;
      capgate_array_append(pairKeys, entryKey(e));
      capgate_array_append(pairNets, t);
    }
    return true;
  }
  typeErr(MATCHES, operand, "one of {string, array, set, object}", v);
  return false;
}

/** The set of [key1, key2] where the network of key1 in `a` contains the address or network of key2 in `b`. */
export function capgate_bi_net_cidr_contains_matches(a: usize, b: usize): usize {
  if (!pairsOf(1, a)) return 0;
  let ka = pairKeys, na = pairNets;
  if (!pairsOf(2, b)) return 0;
  let kb = pairKeys, nb = pairNets;
  let out = capgate_set();
  for (let i: u32 = 0; i < arrLen(na); i++) {
    for (let j: u32 = 0; j < arrLen(nb); j++) {
      let r = contains(MATCHES, arrAt(na, i), arrAt(nb, j));
      if (r < 0) return 0;
      if (r == 1) {
        let pair = capgate_array(2);
        capgate_array_append(pair, arrAt(ka, i));
        capgate_array_append(pair, arrAt(kb, j));
        capgate_set_add(out, pair);
      }
    }
  }
  return out;
}

// net.cidr_merge: networks as 18-byte records (16 address bytes in IPv6 form,
// the prefix in IPv6 bits, 1 for IPv6), sorted, contained ones dropped and
// sibling halves joined, as OPA's mergeCIDRs does.
const MERGE = "net.cidr_merge";
const REC: usize = 18;

// @ts-ignore: decorator
@inline function recV6(r: usize): u8 { return load<u8>(r, 17); }
// @ts-ignore: decorator
@inline function recPrefix(r: usize): i32 { return <i32>load<u8>(r, 16); }

/** Clears the bits of the address past the prefix. */
function mask(r: usize): void {
  let bits = recPrefix(r);
  for (let i = 0; i < 16; i++) {
    let keep = bits - i * 8;
    let m: u32 = keep >= 8 ? 0xff : keep <= 0 ? 0 : (<u32>0xff << <u32>(8 - keep)) & 0xff;
    store<u8>(r + <usize>i, <u8>(<u32>load<u8>(r + <usize>i) & m));
  }
}

function compareRec(a: usize, b: usize): i32 {
  if (recV6(a) != recV6(b)) return <i32>recV6(a) - <i32>recV6(b);
  let c = memory.compare(a, b, 16);
  if (c != 0) return c;
  return recPrefix(a) - recPrefix(b);
}

/** Are a and b the two halves of one network? */
function siblings(a: usize, b: usize): bool {
  let p = recPrefix(a);
  if (p != recPrefix(b) || recV6(a) != recV6(b) || p <= (recV6(a) ? 0 : 96)) return false;
  if (!samePrefix(a, b, p - 1)) return false;
  let byte = <usize>((p - 1) >> 3);
  let bit: u32 = <u32>0x80 >> <u32>((p - 1) & 7);
  return (<u32>load<u8>(a + byte) & bit) == 0 && (<u32>load<u8>(b + byte) & bit) != 0;
}

function hex4(out: usize, o: u32, v: u32): u32 {
  let started = false;
  for (let s: i32 = 12; s >= 0; s -= 4) {
    let d = (v >> <u32>s) & 15;
    if (d == 0 && !started && s > 0) continue;
    started = true;
    store<u8>(out + o++, <u8>(d < 10 ? 48 + d : 87 + d));
  }
  return o;
}

function dec(out: usize, o: u32, v: u32): u32 {
  if (v >= 100) store<u8>(out + o++, <u8>(48 + v / 100));
  if (v >= 10) store<u8>(out + o++, <u8>(48 + (v / 10) % 10));
  store<u8>(out + o++, <u8>(48 + v % 10));
  return o;
}

/** "a.b.c.d/n", or IPv6 as Go prints it (the first longest run of two or more zero groups as "::"). */
function recText(r: usize): usize {
  let out = opa_malloc(48);
  let o: u32 = 0;
  if (!recV6(r)) {
    for (let i: usize = 12; i < 16; i++) {
      o = dec(out, o, load<u8>(r + i));
      if (i < 15) store<u8>(out + o++, 46);
    }
    store<u8>(out + o++, 47);
    o = dec(out, o, <u32>(recPrefix(r) - 96));
    return capgate_string(out, o);
  }
  let bestAt: i32 = -1, bestLen: i32 = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && load<u16>(r + (<usize>j << 1)) == 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j == i ? i + 1 : j;
  }
  for (let i = 0; i < 8; i++) {
    if (i == bestAt) {
      store<u8>(out + o++, 58);
      store<u8>(out + o++, 58);
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i != bestAt + bestLen) store<u8>(out + o++, 58);
    let g = (<u32>load<u8>(r + (<usize>i << 1)) << 8) | <u32>load<u8>(r + (<usize>i << 1) + 1);
    o = hex4(out, o, g);
  }
  store<u8>(out + o++, 47);
  o = dec(out, o, <u32>recPrefix(r));
  return capgate_string(out, o);
}

/** One element of cidr_merge's operand into the record at r: a CIDR, or an IPv4 address as a /32. */
function mergeRecord(v: usize, r: usize): bool {
  if (!isType(v, T_STRING)) { typeErr(MERGE, 1, "array or set of strings", v); return false; }
  if (!parseNet(v, r, false)) { builtinErr(MERGE, "invalid CIDR or IP address"); return false; }
  let slash = false;
  for (let i: u32 = 0; i < strLen(v); i++) if (load<u8>(strPtr(v) + i) == 47) slash = true;
  if (!slash && isV6) { builtinErr(MERGE, "IPv6 invalid: needs prefix length"); return false; }
  store<u8>(r + 16, <u8>prefix);
  store<u8>(r + 17, isV6 ? 1 : 0);
  mask(r);
  return true;
}

/** Bottom-up merge sort of n record pointers (input may hold many networks); returns the sorted array. */
function sortRecords(a: usize, n: u32): usize {
  let b = opa_malloc(<usize>(n == 0 ? 1 : n) << 2);
  for (let width: u32 = 1; width < n; width <<= 1) {
    for (let lo: u32 = 0; lo < n; lo += width << 1) {
      let mid = min<u32>(lo + width, n), hi = min<u32>(lo + (width << 1), n);
      let i = lo, j = mid, k = lo;
      while (i < mid || j < hi) {
        let takeLeft = j >= hi || (i < mid && compareRec(<usize>load<u32>(a + (<usize>i << 2)), <usize>load<u32>(a + (<usize>j << 2))) <= 0);
        let from = takeLeft ? i : j;
        store<u32>(b + (<usize>k << 2), load<u32>(a + (<usize>from << 2)));
        k++;
        if (takeLeft) i++;
        else j++;
      }
    }
    let t = a; a = b; b = t;
  }
  return a;
}

export function capgate_bi_net_cidr_merge(v: usize): usize {
  let isSet = isType(v, T_SET);
  if (!isSet && !isType(v, T_ARRAY)) return typeErr(MERGE, 1, "one of {array, set}", v);
  let n = isSet ? tabLen(v) : arrLen(v);
  let recs = opa_malloc(<usize>(n == 0 ? 1 : n) * REC);
  let order = opa_malloc(<usize>(n == 0 ? 1 : n) << 2);
  for (let i: u32 = 0; i < n; i++) {
    let r = recs + <usize>i * REC;
    if (!mergeRecord(isSet ? entryKey(entryAt(v, i)) : arrAt(v, i), r)) return 0;
    store<u32>(order + (<usize>i << 2), <u32>r);
  }
  order = sortRecords(order, n);
  // A stack of kept networks: each new one is dropped when the top contains
  // it, else pushed and joined with the top while they are sibling halves.
  let stack = opa_malloc(<usize>(n == 0 ? 1 : n) * REC);
  let top: i32 = -1;
  for (let i: u32 = 0; i < n; i++) {
    let r = <usize>load<u32>(order + (<usize>i << 2));
    if (top >= 0) {
      let t = stack + <usize>top * REC;
      if (recV6(t) == recV6(r) && recPrefix(t) <= recPrefix(r) && samePrefix(t, r, recPrefix(t))) continue;
    }
    top++;
    memory.copy(stack + <usize>top * REC, r, REC);
    while (top >= 1 && siblings(stack + <usize>(top - 1) * REC, stack + <usize>top * REC)) {
      top--;
      let parent = stack + <usize>top * REC;
      store<u8>(parent + 16, <u8>(recPrefix(parent) - 1));
    }
  }
  let out = capgate_set();
  for (let i: i32 = 0; i <= top; i++) capgate_set_add(out, recText(stack + <usize>i * REC));
  return out;
}
