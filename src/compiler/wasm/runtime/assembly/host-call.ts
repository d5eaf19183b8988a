// Calls of host built-ins (OPA's opa_builtinN imports), made by the emitted code
// and by the runtime's own built-ins through capgate_host_callN, which first
// record the operands. The SDK hands a host built-in its JSON.parse of each
// operand, which rounds integers past 2^53 and long decimals; the host reads the
// operands of the call in progress back from here (capgate_host_operand) and
// parses their JSON text exactly.

// @ts-ignore: decorator
@external("env", "opa_builtin0")
declare function opa_builtin0(id: i32, ctx: i32): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin1")
declare function opa_builtin1(id: i32, ctx: i32, a: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin2")
declare function opa_builtin2(id: i32, ctx: i32, a: usize, b: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin3")
declare function opa_builtin3(id: i32, ctx: i32, a: usize, b: usize, c: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin4")
declare function opa_builtin4(id: i32, ctx: i32, a: usize, b: usize, c: usize, d: usize): usize;

const MAX_OPERANDS: i32 = 4;
const operands: usize = memory.data(16);

// @ts-ignore: decorator
@inline function record(a: usize, b: usize, c: usize, d: usize): void {
  store<u32>(operands, <u32>a);
  store<u32>(operands, <u32>b, 4);
  store<u32>(operands, <u32>c, 8);
  store<u32>(operands, <u32>d, 12);
}

/** Operand i (from 0) of the host call in progress; 0 past its arity. */
export function capgate_host_operand(i: i32): usize {
  return i >= 0 && i < MAX_OPERANDS ? <usize>load<u32>(operands + (<usize>i << 2)) : 0;
}

export function capgate_host_call0(id: i32): usize {
  record(0, 0, 0, 0);
  return opa_builtin0(id, 0);
}

export function capgate_host_call1(id: i32, a: usize): usize {
  record(a, 0, 0, 0);
  return opa_builtin1(id, 0, a);
}

export function capgate_host_call2(id: i32, a: usize, b: usize): usize {
  record(a, b, 0, 0);
  return opa_builtin2(id, 0, a, b);
}

export function capgate_host_call3(id: i32, a: usize, b: usize, c: usize): usize {
  record(a, b, c, 0);
  return opa_builtin3(id, 0, a, b, c);
}

export function capgate_host_call4(id: i32, a: usize, b: usize, c: usize, d: usize): usize {
  record(a, b, c, d);
  return opa_builtin4(id, 0, a, b, c, d);
}
