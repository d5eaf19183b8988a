// The IR dump is what engineers read when a plan misbehaves: check that it shows
// plans, funcs, nested blocks and string operands by their text.

import { describe, expect, it } from "vitest";
import { prettyPolicy } from "../../src/compiler/ir/pretty.js";
import { compileRego } from "../support/rego-eval.js";

describe("prettyPolicy", () => {
  it("prints plans, funcs and nested statements readably", () => {
    const c = compileRego(['package t\nallow if { some x in input.xs; x == "a" }'], "data.t.allow", 1);
    const text = prettyPolicy(c.policy);
    expect(text).toContain("plan t/allow");
    expect(text).toContain("func g0.data.t.allow(%0, %1) -> %2");
    expect(text).toMatch(/Scan %\d+ key=%\d+ value=%\d+\n(\s+.*\n)*?\s+Equal a=%\d+ b="a"/);
    expect(text).toContain('ObjectInsert key="result"');
    expect(text).toContain("ResultSetAdd value=");
  });
});
