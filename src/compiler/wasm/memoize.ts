// Memoization of rule functions within one evaluation, as OPA's Wasm does: a
// function of (input, data) only is evaluated once per evaluation and the same
// input and data values. Each such function gets a wrapper that returns the
// cached result (undefined included) when the epoch and both argument pointers
// match. The epoch advances at every evaluation (the heap is reused, so pointers
// repeat) and on entering and leaving a With (replaced documents or functions
// change what a rule sees).
import { I32, type Expr, type ModuleBuilder } from "./link-api.js";

const i32 = I32;
export const EPOCH_GLOBAL = "capgate:memo:epoch";

/** Adds the epoch counter; call once per module. */
export function addEpoch(m: ModuleBuilder): void {
  m.addGlobal(EPOCH_GLOBAL, true, 0);
}

/** An expression advancing the epoch. */
export function bumpEpoch(m: ModuleBuilder): Expr {
  return m.global.set(EPOCH_GLOBAL, m.i32.add(m.global.get(EPOCH_GLOBAL, i32), m.i32.const(1)));
}

/**
 * Adds `name` (input, data) → value as a caching wrapper around `body`, an
 * existing function of the same type.
 */
export function addMemoWrapper(m: ModuleBuilder, name: string, body: string): void {
  const g = (field: string) => `${name}:memo:${field}`;
  for (const field of ["epoch", "input", "data", "value"]) m.addGlobal(g(field), true, field === "epoch" ? -1 : 0);
  const get = (i: number) => m.local.get(i, i32);
  const gget = (field: string) => m.global.get(g(field), i32);
  m.addFunction(
    name,
    [i32, i32],
    i32,
    [i32],
    m.block(
      null,
      [
        m.if(
          m.i32.and(
            m.i32.eq(gget("epoch"), m.global.get(EPOCH_GLOBAL, i32)),
            m.i32.and(m.i32.eq(gget("input"), get(0)), m.i32.eq(gget("data"), get(1))),
          ),
          m.return(gget("value")),
        ),
        m.local.set(2, m.call(body, [get(0), get(1)], i32)),
        m.global.set(g("epoch"), m.global.get(EPOCH_GLOBAL, i32)),
        m.global.set(g("input"), get(0)),
        m.global.set(g("data"), get(1)),
        m.global.set(g("value"), get(2)),
        get(2),
      ],
      i32,
    ),
  );
}
