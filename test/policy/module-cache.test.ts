// The module cache of `policy eval`: a repeated evaluation loads the module
// compiled before; any change to sources, query or options compiles anew; a
// damaged cache file is compiled again; "off" keeps nothing.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { evalQuery } from "../../src/policy/tools/index.js";

const dir = mkdtempSync(join(tmpdir(), "capgate-module-cache-"));
const modules = (): string[] => {
  try {
    return readdirSync(join(dir, "modules")).filter((f) => f.endsWith(".wasm"));
  } catch {
    return [];
  }
};
const sources = [{ file: "a.rego", text: "package a\nf(x) if x > 1\np := [y | some y in input.xs; f(y)]\n" }];

describe("policy eval module cache", () => {
  beforeEach(() => {
    rmSync(join(dir, "modules"), { recursive: true, force: true });
    process.env["CAPGATE_CACHE_DIR"] = dir;
  });
  afterAll(() => {
    delete process.env["CAPGATE_CACHE_DIR"];
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps one module per compilation and answers the same from it", async () => {
    const first = await evalQuery({ sources, query: "data.a.p", input: { xs: [1, 2, 3] } });
    expect(modules()).toHaveLength(1);
    const again = await evalQuery({ sources, query: "data.a.p", input: { xs: [5] } });
    expect(first.resultSet).toEqual([{ result: [2, 3] }]);
    expect(again.resultSet).toEqual([{ result: [5] }]);
    expect(modules()).toHaveLength(1);
    await evalQuery({ sources, query: "data.a.p", input: { xs: [1] }, strictBuiltinErrors: true });
    await evalQuery({ sources: [{ file: "a.rego", text: sources[0]!.text.replace("> 1", "> 2") }], query: "data.a.p" });
    await evalQuery({ sources, query: "x := data.a.p" });
    expect(modules()).toHaveLength(4);
  });

  it("compiles again over a damaged module file", async () => {
    await evalQuery({ sources, query: "data.a.p" });
    const [file] = modules();
    writeFileSync(join(dir, "modules", file!), "not wasm");
    expect((await evalQuery({ sources, query: "data.a.p", input: { xs: [3] } })).resultSet).toEqual([{ result: [3] }]);
  });

  it("keeps nothing when off", async () => {
    process.env["CAPGATE_CACHE_DIR"] = "off";
    await evalQuery({ sources, query: "data.a.p" });
    expect(modules()).toHaveLength(0);
  });
});
