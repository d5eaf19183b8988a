// plan() and compile() as other stages call them: what CompiledPolicy holds,
// and the errors for entrypoints and queries that name nothing.

import { describe, expect, it } from "vitest";
import { CapgateError } from "../../src/errors.js";
import { parse, parseQuery } from "../../src/compiler/parser/index.js";
import { compile } from "../../src/compiler/passes/index.js";
import { plan } from "../../src/compiler/planner/index.js";

const src = `package capgate.token
import rego.v1
default allow := false
allow if count(input.methods) > 0
reasons contains "mfa_required" if not "totp" in input.methods
ttl(x) := min([x, 3600])
`;

describe("compile() and plan() contracts", () => {
  it("indexes rule sets by path and lists the built-ins in use", () => {
    const c = compile([parse(src, { file: "p.rego" })]);
    expect([...c.ruleSets.keys()].sort()).toEqual(["capgate/token/allow", "capgate/token/reasons", "capgate/token/ttl"]);
    expect(c.ruleSets.get("capgate/token/allow")?.kind).toBe("complete");
    expect(c.ruleSets.get("capgate/token/allow")?.default).toBeDefined();
    expect(c.ruleSets.get("capgate/token/reasons")?.kind).toBe("partial-set");
    expect(c.ruleSets.get("capgate/token/ttl")).toMatchObject({ kind: "function", arity: 1 });
    expect([...c.builtins].sort()).toEqual(expect.arrayContaining(["count", "gt", "internal.member_2", "min"]));
    expect(c.ruleTree.children.get("capgate")?.children.get("token")?.children.has("allow")).toBe(true);
  });

  it("plans entrypoints by slash path with rule funcs named g0.data...", () => {
    const p = plan(compile([parse(src, { file: "p.rego" })]), { entrypoints: ["capgate/token/allow", "capgate/token"] });
    expect(p.plans.map((x) => x.name)).toEqual(["capgate/token/allow", "capgate/token"]);
    expect(p.funcs.map((f) => f.name)).toEqual(expect.arrayContaining(["g0.data.capgate.token.allow", "g0.data.capgate.token.reasons"]));
    expect(p.funcs.find((f) => f.name === "g0.data.capgate.token.allow")?.path).toEqual(["g0", "data", "capgate", "token", "allow"]);
    expect(p.static.files).toContain("p.rego");
  });

  it("rejects an entrypoint that names no rule or package", () => {
    const c = compile([parse(src, { file: "p.rego" })]);
    expect(() => plan(c, { entrypoints: ["capgate/nothing"] })).toThrow(CapgateError);
    expect(() => plan(c, { entrypoints: ["capgate/nothing"] })).toThrow(/does not refer to a rule or package/);
  });

  it("rejects a query name that was not compiled", () => {
    const c = compile([parse(src, { file: "p.rego" })], { queries: [{ name: "q", query: parseQuery("x := 1") }] });
    expect(() => plan(c, { entrypoints: [], queries: ["other"] })).toThrow(/no compiled query named "other"/);
    expect(plan(c, { entrypoints: [], queries: ["q"] }).plans[0]?.name).toBe("q");
  });

  it("does not change the modules it is given", () => {
    const m = parse(src, { file: "p.rego" });
    const before = JSON.stringify(m);
    compile([m]);
    expect(JSON.stringify(m)).toBe(before);
  });
});

describe("garbage at the stage boundaries", () => {
  it("compile() rejects things that are not parsed modules", () => {
    expect(() => compile([{ nope: 1 } as never])).toThrow(/needs a list of parsed modules/);
    expect(() => compile("package x" as never)).toThrow(CapgateError);
    expect(() => compile([], { queries: [{ name: "", query: parseQuery("x := 1") }] })).toThrow(/non-empty name/);
  });
  it("plan() rejects bad options", () => {
    const c = compile([parse(src, { file: "p.rego" })]);
    expect(() => plan(c, { entrypoints: "capgate/token/allow" as never })).toThrow(/lists of strings/);
    expect(() => plan(c, { entrypoints: [] })).toThrow(/nothing to plan/);
    expect(() => plan({} as never, { entrypoints: ["a"] })).toThrow(/CompiledPolicy/);
  });
});
