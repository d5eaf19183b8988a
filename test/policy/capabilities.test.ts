// capgate policy capabilities: OPA's capabilities JSON built from the
// compiler's own built-in declarations.
import { describe, expect, it } from "vitest";
import { BUILTINS } from "../../src/compiler/ast/builtin-decls.js";
import { capgateCapabilities } from "../../src/policy/tools/capabilities.js";
import { checkPolicies } from "../../src/policy/tools/index.js";

interface Builtin {
  name: string;
  decl: { type: string; args?: Array<{ type: string }>; variadic?: unknown; result: { type: string } };
  infix?: string;
  relation?: boolean;
}

describe("policy capabilities", () => {
  const caps = capgateCapabilities() as { builtins: Builtin[]; future_keywords: string[]; wasm_abi_versions: unknown[]; features: string[] };
  const byName = new Map(caps.builtins.map((b) => [b.name, b]));

  it("lists every built-in the compiler accepts, and none it refuses", () => {
    for (const [name, decl] of BUILTINS) expect(byName.has(name), name).toBe(!decl.absent);
    for (const name of ["http.send", "net.lookup_ip_addr", "opa.runtime", "rego.parse_module"]) {
      expect(byName.has(name)).toBe(false);
      expect(checkPolicies({ sources: [{ file: "a.rego", text: `package a\np := ${name}` }] }).length).toBeGreaterThan(0);
    }
  });

  it("declares built-ins in OPA's shape: argument and result types, infix operators, relations", () => {
    expect(byName.get("count")?.decl).toEqual({
      type: "function",
      args: [{ type: "any", of: [{ type: "string" }, { type: "array", dynamic: { type: "any" } }, { type: "set", of: { type: "any" } }, { type: "object", dynamic: { key: { type: "any" }, value: { type: "any" } } }] }],
      result: { type: "number" },
    });
    expect(byName.get("plus")?.infix).toBe("+");
    expect(byName.get("walk")?.relation).toBe(true);
    expect(byName.get("concat")?.decl.args?.[1]).toEqual({ type: "any", of: [{ type: "array", dynamic: { type: "string" } }, { type: "set", of: { type: "string" } }] });
    expect(byName.get("print")?.decl.variadic).toEqual({ type: "any" });
    for (const b of caps.builtins) expect(b.decl.args?.length ?? 0, b.name).toBe(BUILTINS.get(b.name)!.varargs ? 0 : BUILTINS.get(b.name)!.arity);
  });

  it("names the keywords, Wasm ABI versions and features", () => {
    expect(caps.future_keywords).toEqual(["contains", "every", "if", "in"]);
    expect(caps.wasm_abi_versions).toContainEqual({ version: 1, minor_version: 2 });
    expect(caps.features).toContain("rego_v1");
  });
});
