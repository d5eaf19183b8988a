// CIDR built-ins for IPv4 and IPv6. Addresses are held in 16 bytes (IPv4 in
// its mapped form); as in Go, an IPv4 and an IPv6 network never match.
//   net.cidr_contains 2 | net.cidr_intersects 2
import { T_STRING, strLen, strPtr, capgate_boolean } from "../value";
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

export function capgate_bi_net_cidr_contains(cidr: usize, x: usize): usize {
  if (!isType(cidr, T_STRING)) return typeErr("net.cidr_contains", 1, "string", cidr);
  if (!isType(x, T_STRING)) return typeErr("net.cidr_contains", 2, "string", x);
  if (!parseNet(cidr, ADDR_A, true)) return builtinErr("net.cidr_contains", "invalid CIDR");
  let pa = prefix;
  let fa = isV6;
  if (!parseNet(x, ADDR_B, false)) return builtinErr("net.cidr_contains", "invalid IP address or CIDR");
  let pb = prefix;
  return capgate_boolean(fa == isV6 && pb >= pa && samePrefix(ADDR_A, ADDR_B, pa) ? 1 : 0);
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
