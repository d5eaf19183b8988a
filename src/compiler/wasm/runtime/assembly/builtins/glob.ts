// Glob matching in the style OPA uses (gobwas/glob): `*` matches within a
// segment (never across a delimiter), `**` across delimiters, `?` one
// non-delimiter character, `[abc]` / `[!a-c]` character classes, `{a,b}`
// alternatives and `\` escapes. Delimiters: null = none, [] = ["."].
//   glob.match 3
import { opa_malloc } from "../memory";
import { T_STRING, T_ARRAY, T_NULL, arrLen, arrAt, strLen, strPtr, capgate_boolean } from "../value";
import { utf8Decode, lastLen } from "../utf8";
import { bufNew, bufBytes, bufData, bufLen } from "../buffer";
import { typeErr, isType } from "./common";

// Delimiter code points (at most 16 are kept; more is unheard of).
const DELIMS = memory.data(64);
let ndelims: u32 = 0;

function isDelim(cp: u32): bool {
  for (let i: u32 = 0; i < ndelims; i++) if (load<u32>(DELIMS + (<usize>i << 2)) == cp) return true;
  return false;
}

/** Parse a character class starting after '['; returns the index after ']' or -1. Result in classHit. */
let classHit = false;
function matchClass(p: usize, pi: u32, pn: u32, cp: u32): i32 {
  let neg = false;
  if (pi < pn && load<u8>(p + pi) == 33) { neg = true; pi++; }
  let hit = false;
  let first = true;
  while (pi < pn) {
    let c = utf8Decode(p + pi, pn - pi);
    if (c == 93 && !first) { classHit = hit != neg; return <i32>(pi + 1); }
    pi += lastLen();
    first = false;
    if (pi + 1 < pn && load<u8>(p + pi) == 45 && load<u8>(p + pi + 1) != 93) {
      pi++;
      let hi = utf8Decode(p + pi, pn - pi);
      pi += lastLen();
      if (cp >= c && cp <= hi) hit = true;
    } else if (cp == c) hit = true;
  }
  return -1;
}

function matchAt(p: usize, pi: u32, pn: u32, s: usize, si: u32, sn: u32): bool {
  while (pi < pn) {
    let c = load<u8>(p + pi);
    if (c == 42) { // '*'
      let sup = pi + 1 < pn && load<u8>(p + pi + 1) == 42;
      pi += sup ? 2 : 1;
      let k = si;
      while (true) {
        if (matchAt(p, pi, pn, s, k, sn)) return true;
        if (k >= sn) return false;
        let cp = utf8Decode(s + k, sn - k);
        if (!sup && isDelim(cp)) return false;
        k += lastLen();
      }
    }
    if (si >= sn) return false;
    let cp = utf8Decode(s + si, sn - si);
    let cl = lastLen();
    if (c == 63) { // '?'
      if (isDelim(cp)) return false;
      pi++;
      si += cl;
      continue;
    }
    if (c == 91) { // '['
      let next = matchClass(p, pi + 1, pn, cp);
      if (next < 0) return false;
      if (!classHit) return false;
      pi = <u32>next;
      si += cl;
      continue;
    }
    if (c == 92 && pi + 1 < pn) pi++; // '\' escape
    let pc = utf8Decode(p + pi, pn - pi);
    if (pc != cp) return false;
    pi += lastLen();
    si += cl;
  }
  return si == sn;
}

/** Index of the '}' closing the '{' at `open`, with top-level ',' positions in COMMAS. */
const COMMAS = memory.data(4 * 64);
let ncommas: u32 = 0;
function closeBrace(p: usize, open: u32, pn: u32): i32 {
  let depth = 0;
  ncommas = 0;
  for (let i = open; i < pn; i++) {
    let c = load<u8>(p + i);
    if (c == 92) { i++; continue; }
    if (c == 123) depth++;
    else if (c == 125) { depth--; if (depth == 0) return <i32>i; }
    else if (c == 44 && depth == 1 && ncommas < 64) { store<u32>(COMMAS + (<usize>ncommas << 2), i); ncommas++; }
  }
  return -1;
}

/** Match with brace alternatives expanded one level at a time. */
function matchGlob(p: usize, pn: u32, s: usize, sn: u32, depth: u32): bool {
  if (depth > 32) return false;
  let open: i32 = -1;
  for (let i: u32 = 0; i < pn; i++) {
    let c = load<u8>(p + i);
    if (c == 92) { i++; continue; }
    if (c == 123) { open = <i32>i; break; }
  }
  if (open < 0) return matchAt(p, 0, pn, s, 0, sn);
  let close = closeBrace(p, <u32>open, pn);
  if (close < 0) return matchAt(p, 0, pn, s, 0, sn);
  // Copy the comma positions: recursion reuses COMMAS.
  let n = ncommas;
  let cuts = opa_malloc((<usize>n + 2) << 2);
  store<u32>(cuts, <u32>open);
  for (let i: u32 = 0; i < n; i++) store<u32>(cuts + ((<usize>i + 1) << 2), load<u32>(COMMAS + (<usize>i << 2)));
  store<u32>(cuts + ((<usize>n + 1) << 2), <u32>close);
  for (let a: u32 = 0; a <= n; a++) {
    let from = load<u32>(cuts + (<usize>a << 2)) + 1;
    let to = load<u32>(cuts + ((<usize>a + 1) << 2));
    let b = bufNew(pn);
    bufBytes(b, p, <u32>open);
    bufBytes(b, p + from, to - from);
    bufBytes(b, p + <u32>close + 1, pn - <u32>close - 1);
    if (matchGlob(bufData(b), bufLen(b), s, sn, depth + 1)) return true;
  }
  return false;
}

export function capgate_bi_glob_match(pattern: usize, delims: usize, str: usize): usize {
  if (!isType(pattern, T_STRING)) return typeErr("glob.match", 1, "string", pattern);
  if (!isType(delims, T_ARRAY) && !isType(delims, T_NULL)) return typeErr("glob.match", 2, "array of strings or null", delims);
  if (!isType(str, T_STRING)) return typeErr("glob.match", 3, "string", str);
  ndelims = 0;
  if (isType(delims, T_ARRAY)) {
    let n = arrLen(delims);
    if (n == 0) { store<u32>(DELIMS, 46); ndelims = 1; }
    for (let i: u32 = 0; i < n; i++) {
      let d = arrAt(delims, i);
      if (!isType(d, T_STRING)) return typeErr("glob.match", 2, "array of strings or null", delims);
      if (strLen(d) == 0 || ndelims >= 16) continue;
      store<u32>(DELIMS + (<usize>ndelims << 2), utf8Decode(strPtr(d), strLen(d)));
      ndelims++;
    }
  }
  return capgate_boolean(matchGlob(strPtr(pattern), strLen(pattern), strPtr(str), strLen(str), 0) ? 1 : 0);
}
