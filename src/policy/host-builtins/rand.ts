// rand.intn: a random integer in [0, |n|) (undefined for a non-integer n), the same for the same (key, n)
// within one evaluation, as OPA caches it per query.
import { randomInt } from "node:crypto";
import { num, str, type HostBuiltinImpl } from "./types.js";

export const randBuiltins: HostBuiltinImpl<"rand">[] = [
  {
    name: "rand.intn",
    impl: (a, ctx) => {
      const key = str("rand.intn", a, 0);
      const bound = num("rand.intn", a, 1);
      // OPA answers undefined for a bound that is a number but not an integer.
      if (!Number.isInteger(bound)) return undefined;
      const n = Math.abs(bound);
      if (n === 0) return 0;
      ctx.rand ??= new Map();
      const k = `${key}\u0000${n}`;
      let v = ctx.rand.get(k);
      if (v === undefined) {
        v = n > 2 ** 48 - 1 ? Math.floor(Math.random() * n) : randomInt(n);
        ctx.rand.set(k, v);
      }
      return v;
    },
  },
];
