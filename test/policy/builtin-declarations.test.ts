// A built-in's name and arity are declared once, by its family, in src/wasm-abi
// (builtins-table.ts for the runtime's, host-builtins-table.ts for the host's):
// each host family implements exactly the names it declares, a name both the
// runtime and a host implement has one arity, and the compiler declares every
// Rego built-in of the two tables and nothing else but its own.
import { describe, expect, it } from "vitest";
import { BUILTINS } from "../../src/compiler/index.js";
import { hostBuiltinFamilies } from "../../src/policy/host-builtins/index.js";
import { HOST_BUILTINS_TABLE, RUNTIME_BUILTINS, type HostFamily } from "../../src/wasm-abi/index.js";

describe("built-in declarations", () => {
  it("each host family implements exactly the names it declares", () => {
    const families = Object.keys(HOST_BUILTINS_TABLE) as HostFamily[];
    for (const f of families) {
      const implemented = hostBuiltinFamilies[f].map((b) => `${b.name}/${b.arity}`).sort();
      const declared = Object.entries(HOST_BUILTINS_TABLE[f]).map(([n, a]) => `${n}/${a}`).sort();
      expect(implemented, f).toEqual(declared);
    }
  });

  it("a name both the runtime and a host implement has the same arity in both tables", () => {
    const differ: string[] = [];
    for (const family of Object.values(HOST_BUILTINS_TABLE)) {
      for (const [name, arity] of Object.entries(family)) {
        const inWasm = RUNTIME_BUILTINS.get(name)?.arity;
        if (inWasm !== undefined && inWasm !== arity) differ.push(`${name}: Wasm ${inWasm}, host ${arity}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it("the compiler declares the tables' Rego built-ins (not the runtime's own $ host calls) with their arities", () => {
    for (const [name, b] of RUNTIME_BUILTINS) expect(BUILTINS.get(name)?.arity, name).toBe(b.arity);
    for (const family of Object.values(HOST_BUILTINS_TABLE)) {
      for (const [name, arity] of Object.entries(family)) {
        if (name.startsWith("$")) expect(BUILTINS.has(name), name).toBe(false);
        else expect(BUILTINS.get(name)?.arity, name).toBe(arity);
      }
    }
  });
});
