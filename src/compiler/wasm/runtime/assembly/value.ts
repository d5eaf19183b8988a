// The value model: every Rego value is a pointer to a small header whose first
// byte is its type tag (also its rank in Rego's total order). Undefined is 0.
// The layout is documented in src/wasm-abi/runtime-abi.ts (VALUE_LAYOUT) because the emitter may
// lay out constants in its own data segment.
import { opa_malloc, alloc } from "./memory";

export const T_NULL: u8 = 1;
export const T_BOOLEAN: u8 = 2;
export const T_NUMBER: u8 = 3;
export const T_STRING: u8 = 4;
export const T_ARRAY: u8 = 5;
export const T_OBJECT: u8 = 6;
export const T_SET: u8 = 7;

export const N_INT: u8 = 1;
export const N_FLOAT: u8 = 2;
export const N_REF: u8 = 3;

// Immutable singletons in static data: evaluations never write to them.
const NULL_V = memory.data<u8>([1, 0, 0, 0, 0, 0, 0, 0], 8);
const FALSE_V = memory.data<u8>([2, 0, 0, 0, 0, 0, 0, 0], 8);
const TRUE_V = memory.data<u8>([2, 0, 0, 0, 1, 0, 0, 0], 8);

// @ts-ignore: decorator
@inline export function vtype(v: usize): u8 { return load<u8>(v); }

export function capgate_value_type(v: usize): u32 {
  return v == 0 ? 0 : <u32>load<u8>(v);
}

export function capgate_null(): usize { return NULL_V; }

export function capgate_boolean(b: u32): usize { return b != 0 ? TRUE_V : FALSE_V; }

// @ts-ignore: decorator
@inline export function boolValue(v: usize): bool { return load<u8>(v, 4) != 0; }

export function capgate_is_true(v: usize): u32 {
  return v != 0 && load<u8>(v) == T_BOOLEAN && load<u8>(v, 4) != 0 ? 1 : 0;
}

// --- numbers -----------------------------------------------------------------

export function capgate_number_int(i: i64): usize {
  let v = alloc(16);
  store<u32>(v, <u32>T_NUMBER | (<u32>N_INT << 8));
  store<i64>(v, i, 8);
  return v;
}

export function capgate_number_float(f: f64): usize {
  let v = alloc(16);
  store<u32>(v, <u32>T_NUMBER | (<u32>N_FLOAT << 8));
  store<f64>(v, f, 8);
  return v;
}

export function newNumberRefRaw(ptr: usize, len: u32): usize {
  let v = alloc(16);
  store<u32>(v, <u32>T_NUMBER | (<u32>N_REF << 8));
  store<u32>(v, len, 4);
  store<u32>(v, <u32>ptr, 8);
  return v;
}

// @ts-ignore: decorator
@inline export function numRepr(v: usize): u8 { return load<u8>(v, 1); }
// @ts-ignore: decorator
@inline export function numInt(v: usize): i64 { return load<i64>(v, 8); }
// @ts-ignore: decorator
@inline export function numFloat(v: usize): f64 { return load<f64>(v, 8); }
// @ts-ignore: decorator
@inline export function numRefPtr(v: usize): usize { return <usize>load<u32>(v, 8); }
// @ts-ignore: decorator
@inline export function numRefLen(v: usize): u32 { return load<u32>(v, 4); }

// --- strings -----------------------------------------------------------------

export function capgate_string(ptr: usize, len: u32): usize {
  let v = alloc(12);
  store<u32>(v, <u32>T_STRING);
  store<u32>(v, len, 4);
  store<u32>(v, <u32>ptr, 8);
  return v;
}

/** A string value over a fresh copy of the bytes. */
export function stringCopy(ptr: usize, len: u32): usize {
  let p = opa_malloc(len);
  memory.copy(p, ptr, len);
  return capgate_string(p, len);
}

/** A string value from an ASCII AssemblyScript literal. */
export function stringAscii(s: string): usize {
  let n = <u32>s.length;
  let p = opa_malloc(n);
  let src = changetype<usize>(s);
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, <u8>load<u16>(src + (i << 1)));
  return capgate_string(p, n);
}

// @ts-ignore: decorator
@inline export function strLen(v: usize): u32 { return load<u32>(v, 4); }
// @ts-ignore: decorator
@inline export function strPtr(v: usize): usize { return <usize>load<u32>(v, 8); }

// --- arrays ------------------------------------------------------------------

export function capgate_array(cap: u32): usize {
  let v = alloc(16);
  store<u32>(v, <u32>T_ARRAY);
  store<u32>(v, 0, 4);
  store<u32>(v, cap, 8);
  store<u32>(v, cap > 0 ? <u32>opa_malloc(cap << 2) : 0, 12);
  return v;
}

// @ts-ignore: decorator
@inline export function arrLen(v: usize): u32 { return load<u32>(v, 4); }
// @ts-ignore: decorator
@inline export function arrElems(v: usize): usize { return <usize>load<u32>(v, 12); }
// @ts-ignore: decorator
@inline export function arrAt(v: usize, i: u32): usize { return <usize>load<u32>(<usize>load<u32>(v, 12) + (<usize>i << 2)); }

// --- objects and sets (see table.ts) ----------------------------------------

export function newTable(t: u8): usize {
  let v = alloc(24);
  // type, sorted (an empty table is), len, capacity, list, buckets, bucket count
  store<u32>(v, <u32>t | (1 << 8));
  store<u64>(v, 0, 4);
  store<u64>(v, 0, 12);
  store<u32>(v, 0, 20);
  return v;
}

export function capgate_object(): usize { return newTable(T_OBJECT); }
export function capgate_set(): usize { return newTable(T_SET); }
