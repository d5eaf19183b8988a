// uuid.rfc4122: a random (version 4) UUID that stays the same for the same key
// within one evaluation, as OPA caches it per query.
import { randomUUID } from "node:crypto";
import { str, type HostBuiltin } from "./types.js";

export const uuidBuiltins: HostBuiltin[] = [
  {
    name: "uuid.rfc4122",
    arity: 1,
    impl: (a, ctx) => {
      const key = str("uuid.rfc4122", a, 0);
      ctx.uuids ??= new Map();
      let u = ctx.uuids.get(key);
      if (u === undefined) {
        u = randomUUID();
        ctx.uuids.set(key, u);
      }
      return u;
    },
  },
];
