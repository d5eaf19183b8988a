// evaluatePolicy() on JSON text, which capgate writes into the module's memory
// and reads the answer from itself, against the SDK's own evaluation of the
// same input as a value: the two must agree, for multi-byte text, for inputs
// larger than the module's memory (which must grow), and after data is set.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { JsonText, evaluatePolicy, instantiatePolicy, setPolicyData } from "../../src/policy/runtime/index.js";

const REGO = `package t

names := [n | some item in input.items; n := item.name]
total := count(input.items)
greeting := concat(" ", [data.prefix, input.who])
`;

async function load() {
  const compiled = compilePolicy({ sources: [{ file: "t.rego", text: REGO }], entrypoints: ["t"] });
  return instantiatePolicy(compiled.wasm, { prefix: "héllo" });
}

describe("evaluating JSON text", () => {
  const inputs: Array<[string, unknown]> = [
    ["ASCII", { who: "world", items: [{ name: "a" }, { name: "b" }] }],
    ["multi-byte text and escapes", { who: "wörld ✓ 🎉 \"q\" \\ \u0001", items: [{ name: "ünïcödé" }, { name: "日本語" }] }],
    ["an input larger than the module's memory", { who: "big", items: Array.from({ length: 60_000 }, (_, i) => ({ name: `item-${i}-ä` })) }],
  ];
  for (const [what, input] of inputs) {
    it(`answers as the SDK does for ${what}`, async () => {
      const inst = await load();
      const fromText = evaluatePolicy(inst, new JsonText(JSON.stringify(input)), "t");
      const fromValue = evaluatePolicy(inst, input, "t");
      expect(fromText).toEqual(fromValue);
      expect((fromText[0]?.["result"] as { total: number }).total).toBe((input as { items: unknown[] }).items.length);
    });
  }

  it("reads data set after loading, and evaluates again and again on the same memory", async () => {
    const inst = await load();
    setPolicyData(inst.policy, { prefix: "bonjour" });
    for (let i = 0; i < 3; i++) {
      const [r] = evaluatePolicy(inst, new JsonText(JSON.stringify({ who: `n${i}`, items: [] })), "t");
      expect(r?.["result"]).toEqual({ names: [], total: 0, greeting: `bonjour n${i}` });
    }
  });

  it("writes and reads through the grown memory after an input that made it grow, in two modules taking turns", async () => {
    const [a, b] = [await load(), await load()];
    const small = (who: string): JsonText => new JsonText(JSON.stringify({ who, items: [{ name: "ä" }] }));
    const big = new JsonText(JSON.stringify({ who: "big", items: Array.from({ length: 60_000 }, (_, i) => ({ name: `item-${i}` })) }));
    expect(evaluatePolicy(a, small("one"), "t")[0]?.["result"]).toEqual({ names: ["ä"], total: 1, greeting: "héllo one" });
    expect(evaluatePolicy(b, small("two"), "t")[0]?.["result"]).toMatchObject({ greeting: "héllo two" });
    expect(evaluatePolicy(a, big, "t")[0]?.["result"]).toMatchObject({ total: 60_000, greeting: "héllo big" });
    expect(evaluatePolicy(b, small("three"), "t")[0]?.["result"]).toMatchObject({ greeting: "héllo three" });
    expect(evaluatePolicy(a, small("four"), "t")[0]?.["result"]).toEqual({ names: ["ä"], total: 1, greeting: "héllo four" });
  });

  it("refuses malformed text as the module's parser does", async () => {
    const inst = await load();
    expect(() => evaluatePolicy(inst, new JsonText('{"who": '), "t")).toThrow();
    const [r] = evaluatePolicy(inst, new JsonText('{"who":"after","items":[]}'), "t");
    expect(r?.["result"]).toMatchObject({ greeting: "héllo after" });
  });
});
