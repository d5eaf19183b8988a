// The type table (builtin-types.ts) and the arity table (builtin-decls.ts) are
// kept apart; this keeps them in step so a signature never names a built-in
// the compiler does not know, or gives it a different number of operands.
import { describe, expect, it } from "vitest";
import { BUILTINS } from "../../src/compiler/passes/builtin-decls.js";
import { ANY, BUILTIN_TYPES, describeType, KIND } from "../../src/compiler/passes/builtin-types.js";

describe("built-in type signatures", () => {
  it("name known built-ins with their arity", () => {
    const wrong = [...BUILTIN_TYPES].filter(([name, sig]) => BUILTINS.get(name)?.arity !== sig.args.length).map(([n]) => n);
    expect(wrong).toEqual([]);
  });
  it("cover most of the built-ins", () => {
    expect(BUILTIN_TYPES.size).toBeGreaterThan(150);
  });
  it("describe kinds in words", () => {
    expect(describeType(KIND.number)).toBe("a number");
    expect(describeType(KIND.array | KIND.set)).toBe("an array or a set");
    expect(describeType(KIND.null | KIND.boolean | KIND.object)).toBe("null, a boolean or an object");
    expect(describeType(ANY)).toBe("any value");
  });
});
