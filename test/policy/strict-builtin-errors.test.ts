// OPA's built-in error semantics: by default a failing built-in (in Wasm or on
// the host) makes its expression undefined; with strict built-in errors
// (--strict-builtin-errors, or the bundle manifest's
// metadata.strict_builtin_errors) it is an evaluation error.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { CapgateError } from "../../src/errors.js";
import { writeBundle } from "../../src/policy/bundle.js";
import { evaluatePolicy, loadPolicyBundle } from "../../src/policy/runtime/index.js";
import { buildBundle, evalQuery } from "../../src/policy/tools/index.js";

const POLICY = `package t
wasm_fails := to_number("x")
host_fails := regex.replace("a", "[", "b")
default allow := false
allow if to_number(input.n) > 1
`;
const sources = [{ file: "t.rego", text: POLICY }];

async function errorOf(p: Promise<unknown>): Promise<CapgateError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(CapgateError);
  return e as CapgateError;
}

describe("built-in errors", () => {
  it("are undefined by default, in Wasm and on the host, as in OPA", async () => {
    expect((await evalQuery({ sources, query: "data.t.wasm_fails" })).resultSet).toEqual([]);
    expect((await evalQuery({ sources, query: "data.t.host_fails" })).resultSet).toEqual([]);
    expect((await evalQuery({ sources, query: "data.t.allow", input: { n: "zz" } })).resultSet).toEqual([{ result: false }]);
  });

  it("are evaluation errors with strict built-in errors", async () => {
    const w = await errorOf(evalQuery({ sources, query: "data.t.wasm_fails", strictBuiltinErrors: true }));
    expect(w.code).toBe("eval_builtin_error");
    expect(w.message).toContain("to_number");
    const h = await errorOf(evalQuery({ sources, query: "data.t.host_fails", strictBuiltinErrors: true }));
    expect(h.code).toBe("eval_builtin_error");
    expect(h.message).toContain("regex.replace");
  });

  it("a bundle built strict says so in its manifest and fails its evaluation", async () => {
    const { bundle } = await buildBundle({ sources, entrypoints: ["t/allow"], strictBuiltinErrors: true });
    const loaded = await loadPolicyBundle(bundle);
    expect(loaded.manifest.metadata).toEqual({ strict_builtin_errors: true });
    expect(() => evaluatePolicy(loaded.instance, { n: "zz" }, "t/allow")).toThrow(/to_number/);
  });

  it("the manifest turns a module built without strict errors strict at load, and back", async () => {
    const { wasm } = compilePolicy({ sources, entrypoints: ["t/allow"] });
    const strict = await loadPolicyBundle(await writeBundle({ wasm, entrypoints: ["t/allow"], metadata: { strict_builtin_errors: true } }));
    expect(() => evaluatePolicy(strict.instance, { n: "zz" }, "t/allow")).toThrow(/to_number/);
    const lax = await loadPolicyBundle(await writeBundle({ wasm, entrypoints: ["t/allow"], metadata: { strict_builtin_errors: false } }));
    expect(evaluatePolicy(lax.instance, { n: "zz" }, "t/allow")).toEqual([{ result: false }]);
    const bad = await errorOf(loadPolicyBundle(await writeBundle({ wasm, entrypoints: ["t/allow"], metadata: { strict_builtin_errors: "yes" } })));
    expect(bad.message).toContain("metadata.strict_builtin_errors must be true or false");
  });
});
