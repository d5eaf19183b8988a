// The shape of a host built-in and the argument checks they share, so every
// family reports a wrong operand the same way ("operand 2 must be a string").
import { CapgateError } from "../../errors.js";
import type { HostBuiltinName, HostFamily } from "../../wasm-abi/index.js";

/**
 * State of one evaluation: OPA fixes `time.now_ns` once per query. Every field
 * is reset to undefined (never deleted) between evaluations, which keeps the
 * object's shape, and so the built-ins' reads of it, fast.
 */
export interface HostContext {
  nowNs?: bigint | undefined;
  /** uuid.rfc4122 answers the same UUID for the same key within one evaluation. */
  uuids?: Map<string, string> | undefined;
  /** rand.intn answers the same number for the same key and bound within one evaluation. */
  rand?: Map<string, number> | undefined;
  /** performance.now() after which the evaluation is stopped (eval_deadline_error). */
  deadline?: number | undefined;
  /** Lines internal.print produced in this evaluation. */
  prints?: string[] | undefined;
}

export type HostImpl = (args: unknown[], ctx: HostContext) => unknown;

/** A host built-in as the runtime calls it: its implementation with its declared arity. */
export interface HostBuiltin {
  name: string;
  arity: number;
  impl: HostImpl;
}

/**
 * One implementation in a family's file, under a name the family declares in
 * src/wasm-abi's HOST_BUILTINS_TABLE (its arity is declared there, once).
 */
export interface HostBuiltinImpl<F extends HostFamily> {
  name: HostBuiltinName<F>;
  impl: HostImpl;
}

export function builtinError(name: string, message: string): CapgateError {
  return new CapgateError("eval_builtin_error", `${name}: ${message}`, { details: { builtin: name } });
}

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "bigint") return "number";
  if (typeof v === "object") return "object";
  return typeof v;
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function wrong(name: string, i: number, want: string, got: unknown): CapgateError {
  return builtinError(name, `operand ${i + 1} must be ${article(want)}, got ${typeName(got)}`);
}

export function str(name: string, args: unknown[], i: number): string {
  const v = args[i];
  if (typeof v !== "string") throw wrong(name, i, "string", v);
  return v;
}

/** A number operand as a double (an integer beyond 2^53 arrives as a bigint; rounding it here is this caller's choice). */
export function num(name: string, args: unknown[], i: number): number {
  const v = args[i];
  if (typeof v === "bigint") return Number(v);
  if (typeof v !== "number") throw wrong(name, i, "number", v);
  return v;
}

export function int(name: string, args: unknown[], i: number): number {
  const v = num(name, args, i);
  if (!Number.isInteger(v)) throw builtinError(name, `operand ${i + 1} must be an integer, got ${v}`);
  return v;
}

export function arr(name: string, args: unknown[], i: number): unknown[] {
  const v = args[i];
  if (!Array.isArray(v)) throw wrong(name, i, "array", v);
  return v;
}

export function obj(name: string, args: unknown[], i: number): Record<string, unknown> {
  const v = args[i];
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw wrong(name, i, "object", v);
  return v as Record<string, unknown>;
}

/** A list of strings given as an array (sets arrive from the SDK as arrays too). */
export function strList(name: string, args: unknown[], i: number): string[] {
  const a = arr(name, args, i);
  for (const x of a) if (typeof x !== "string") throw builtinError(name, `operand ${i + 1} must hold strings, got ${typeName(x)}`);
  return a as string[];
}

/** JSON text for a value that may hold bigints (exact integers beyond 2^53); JSON.stringify would throw on them. */
export function toJsonText(v: unknown): string {
  if (typeof v === "bigint") return v.toString();
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(",")}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) parts.push(`${JSON.stringify(k)}:${toJsonText(x)}`);
  }
  return `{${parts.join(",")}}`;
}

/** toJsonText laid out as JSON.stringify(v, null, unit) lays it out, bigints exact. */
export function toJsonTextPretty(v: unknown, indent = "", unit = "  "): string {
  if (v === null || typeof v !== "object") return toJsonText(v);
  const inner = `${indent}${unit}`;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + toJsonTextPretty(x === undefined ? null : x, inner, unit)).join(",\n")}\n${indent}]`;
  }
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) parts.push(`${inner}${JSON.stringify(k)}: ${toJsonTextPretty(x, inner, unit)}`);
  }
  return parts.length === 0 ? "{}" : `{\n${parts.join(",\n")}\n${indent}}`;
}

/**
 * JSON.parse, except that an integer beyond 2^53 becomes a bigint, so that a
 * number the module printed in full keeps every digit.
 */
export function parseJsonExact(text: string): unknown {
  // Integers too long for a double, outside strings: mark them so a reviver can tell them apart.
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g, (m) => (m.startsWith('"') ? m : `"\\u0000big:${m}"`));
  return JSON.parse(marked, (_k, v: unknown) => {
    if (typeof v !== "string" || !v.startsWith("\u0000big:")) return v;
    const n = BigInt(v.slice(5));
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  });
}
