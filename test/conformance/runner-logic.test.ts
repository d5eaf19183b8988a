// The parts of the conformance runner that do not need the compiler: reading
// case files (including the suite's loosely indented YAML), decoding expected
// values, comparing them with SDK results, and capturing query values.
import { describe, expect, it } from "vitest";
import { CapgateError, CapgateErrors } from "../../src/errors.js";
import { parseCaseText, relaxFlowIndent } from "./case-file.js";
import { fromExpected, fromRegoText, RObject, RSet } from "../support/values.js";
import { mismatch } from "./compare.js";
import { wrapQuery } from "../../src/policy/tools/query-capture.js";
import { isGenuineRegoError, passRate, regorusErrorCode, tally, type Outcome } from "./runner.js";
import { canonicalKey, canonicalNumber, compareJ, fromYamlNode, parseJsonExact, parseYamlExact } from "./json-values.js";

/** Whether a result, in the module's Rego syntax, matches an expectation in the suite's encoding. */
const ok = (actual: string, want: unknown): boolean => mismatch(fromRegoText(actual), fromExpected(want)) === null;

describe("expected values", () => {
  it("decodes the special encodings", () => {
    expect(fromExpected("#undefined")).toBeUndefined();
    const set = fromExpected({ "set!": [1, 2] });
    expect(set instanceof RSet && set.has(1) && set.has(2) && set.m.size === 2).toBe(true);
    const obj = fromExpected({ "object!": [{ key: 1, value: "a" }] });
    expect(obj instanceof RObject && obj.get(1) === "a" && obj.get("1") === undefined).toBe(true);
    expect(fromExpected({ "set!": [1], other: 2 })).toBeInstanceOf(RObject);
  });

  it("sets match sets in any order, never arrays, and not with other elements", () => {
    expect(ok("{3,1,2}", { "set!": [1, 2, 3] })).toBe(true);
    expect(ok("[1,2,3]", { "set!": [1, 2, 3] })).toBe(false);
    expect(ok("{1,2}", { "set!": [1, 2, 3] })).toBe(false);
    expect(ok('{[], {{"a":1}}}', { "set!": [[], { "set!": [{ a: 1 }] }] })).toBe(true);
    expect(ok("set()", [])).toBe(false);
    expect(ok("{}", { "set!": [] })).toBe(false);
    expect(ok("set()", { "set!": [] })).toBe(true);
  });

  it("object keys keep their type", () => {
    expect(ok('{1:"a", [1,2]:true}', { "object!": [{ key: 1, value: "a" }, { key: [1, 2], value: true }] })).toBe(true);
    expect(ok('{"1":"a"}', { "object!": [{ key: 1, value: "a" }] })).toBe(false);
    expect(ok('{null:true, 7:"w"}', new Map<unknown, unknown>([[null, true], [7, "w"]]))).toBe(true);
  });

  it("#undefined fields must be absent; extra fields fail", () => {
    expect(ok('{"a":1}', { a: 1, b: "#undefined" })).toBe(true);
    expect(ok('{"a":1,"b":2}', { a: 1, b: "#undefined" })).toBe(false);
    expect(ok('{"a":1,"c":3}', { a: 1 })).toBe(false);
  });

  it("numbers compare by value, other scalars strictly", () => {
    expect(ok("1", 1.0)).toBe(true);
    expect(ok("1.0", 1)).toBe(true);
    expect(ok('"1"', 1)).toBe(false);
    expect(ok("null", false)).toBe(false);
    expect(ok('[1,"a"]', [1, "a"])).toBe(true);
    expect(ok('[1,"a"]', ["a", 1])).toBe(false);
    expect(ok("{}", [])).toBe(false);
  });

  it("reads the runtime's Rego syntax, and says where text is not a value", () => {
    expect(fromRegoText('[{"x": {1, "é\\n"}}]')).toEqual([expect.any(RObject)]);
    expect(() => fromRegoText("{1:")).toThrow(/Rego value text at 3: expected a value/);
    expect(() => fromRegoText("[1] 2")).toThrow(/unexpected text after the value/);
  });
});

describe("query capture", () => {
  it("wraps single expressions so their value is the result", () => {
    expect(wrapQuery("data.test.p")).toBe("capgate_q__ := (data.test.p)");
    expect(wrapQuery("1 == 2")).toBe("capgate_q__ := (1 == 2)");
    expect(wrapQuery('data.test.result == {"a", "b"}')).toBe('capgate_q__ := (data.test.result == {"a", "b"})');
    expect(wrapQuery("x >= 1")).toBe("capgate_q__ := (x >= 1)");
  });

  it("leaves unifications, assignments, sequences and keywords alone", () => {
    for (const q of ["1 = 2", "x := split(\"a\", \"\")", "data.test.p = x", "1 == 1; 1 == 2", "a\nb", "not data.x", "data.p with input as 1"]) {
      expect(wrapQuery(q), q).toBeUndefined();
    }
    expect(wrapQuery('data.p["a=b;c"]')).toBe('capgate_q__ := (data.p["a=b;c"])');
  });
});

describe("case files", () => {
  it("reads the regorus suite's under-indented flow sequences", () => {
    const text = [
      "cases:",
      "  - note: n",
      "    modules:",
      "      - |",
      "        package test",
      "        x := {",
      "          1,",
      "        }",
      "    query: data.test.x",
      "    want_result:",
      "      x1:",
      "        set!: [",
      '        "a",',
      '        "b",',
      "        ]",
      "      x2: true",
    ].join("\n");
    expect(() => parseCaseText(text.replace("relaxed", ""), "t.yaml")).not.toThrow();
    const [c] = parseCaseText(text, "t.yaml");
    // want_result keeps YAML's Maps, so that keys keep their types.
    expect(c!.want_result).toEqual(new Map<string, unknown>([["x1", new Map([["set!", ["a", "b"]]])], ["x2", true]]));
    expect(c!.modules![0]).toContain("x := {\n  1,\n}");
    expect(relaxFlowIndent("a: [\n1]\n")).toBe("a: [\n  1]\n");
  });

  it("rejects files without cases or queries with a message naming the file", () => {
    expect(() => parseCaseText("foo: 1", "f.yaml")).toThrow(/^f\.yaml: expected a top-level "cases:" list$/);
    expect(() => parseCaseText("cases:\n  - note: a\n", "g.yaml")).toThrow(/g\.yaml: case "a" has no query/);
  });
});

describe("outcomes", () => {
  it("counts only Rego errors as the errors a case expects", () => {
    expect(isGenuineRegoError(new CapgateError("rego_unsafe_var_error", "x"))).toBe(true);
    expect(isGenuineRegoError(new CapgateError("eval_conflict_error", "x"))).toBe(true);
    expect(isGenuineRegoError(new CapgateErrors([new CapgateError("rego_compile_error", "a"), new CapgateError("rego_type_error", "b")]))).toBe(true);
    expect(isGenuineRegoError(new CapgateError("wasm_emit_error", "unsupported"))).toBe(false);
    expect(isGenuineRegoError(new CapgateError("rego_plan_error", "unsupported"))).toBe(false);
    expect(isGenuineRegoError(new TypeError("x is undefined"))).toBe(false);
  });

  it("counts excluded cases as failures in the pass rate and leaves skipped ones out", () => {
    const o = (kind: "value" | "error", status: Outcome["status"]): Outcome => ({ file: "f", folder: "d", note: "n", kind, status });
    const t = tally([o("value", "passed"), o("value", "excluded"), o("value", "skipped"), o("error", "failed")]);
    expect(t.value).toEqual({ passed: 1, failed: 0, excluded: 1, skipped: 1, na: 0 });
    expect(passRate(t.value)).toBe(0.5);
    expect(passRate(t.error)).toBe(0);
  });
});

describe("OPA's judgement: JSON rows, numbers by value", () => {
  it("numbers are equal by value, written any way, and exact beyond doubles", () => {
    expect(canonicalNumber("1")).toBe(canonicalNumber("1.0"));
    expect(canonicalNumber("100")).toBe(canonicalNumber("1e2"));
    expect(canonicalNumber("0.10")).toBe(canonicalNumber("1e-1"));
    expect(canonicalNumber("-0")).toBe(canonicalNumber("0"));
    expect(canonicalNumber("9223372036854775809")).not.toBe(canonicalNumber("9223372036854775808"));
  });

  it("a module's JSON and a YAML expectation give the same key for the same rows", () => {
    const got = parseJsonExact('[{"x": [1.0, "a", {"b": 12345678901234567891}]}]');
    const want = fromYamlNode(parseYamlExact("- x: [1, a, {b: 12345678901234567891}]\n").contents);
    expect(canonicalKey(got)).toBe(canonicalKey(want));
    const other = fromYamlNode(parseYamlExact("- x: [1, a, {b: 12345678901234567890}]\n").contents);
    expect(canonicalKey(got)).not.toBe(canonicalKey(other));
  });

  it("orders values as Rego does, for sort_bindings", () => {
    const vs = (parseJsonExact('["b", 2, null, [1], {"a": 1}, true, 10]') as unknown[]).sort(compareJ as never);
    expect(canonicalKey(vs as never)).toBe(canonicalKey(parseJsonExact('[null, true, 2, 10, "b", [1], {"a": 1}]')));
  });

  it("regorus error texts map to OPA's code only where it is certain", () => {
    expect(regorusErrorCode("`if` keyword is required before rule body")).toBe("rego_parse_error");
    expect(regorusErrorCode("`bits.xor` expects 2 arguments")).toBe("rego_type_error");
    expect(regorusErrorCode("recursion detected")).toBe("rego_recursion_error");
    expect(regorusErrorCode("invalid `var` in default value")).toBe("rego_parse_error");
    expect(regorusErrorCode("divide by zero")).toBe("eval_builtin_error");
    expect(regorusErrorCode("rules should not produce multiple outputs")).toBe("eval_conflict_error");
    expect(regorusErrorCode("`lower` expects string argument.")).toBeUndefined();
  });
});
