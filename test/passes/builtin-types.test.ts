// The type table (builtin-types.ts) and the arity table (builtin-decls.ts) are
// kept apart; this keeps them in step so a signature never names a built-in
// the compiler does not know, or gives it a different number of operands.
import { describe, expect, it } from "vitest";
import { BUILTINS } from "../../src/compiler/ast/builtin-decls.js";
import { ANY, BUILTIN_TYPES, describeElements, describeType, KIND } from "../../src/compiler/ast/builtin-types.js";

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
    expect(describeElements(KIND.string)).toBe("strings");
    expect(describeElements(KIND.null | KIND.number)).toBe("nulls or numbers");
  });
  it("say what some collections hold", () => {
    expect(BUILTIN_TYPES.get("concat")!.args[1]).toEqual({ kinds: KIND.array | KIND.set, elements: KIND.string });
    expect(BUILTIN_TYPES.get("count")!.args[0]!.elements).toBe(ANY);
    expect(BUILTIN_TYPES.get("split")!.result).toEqual({ kinds: KIND.array, elements: KIND.string });
  });
});
