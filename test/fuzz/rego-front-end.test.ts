// Property-based fuzzing of the Rego parser, compiler passes, planner and Wasm emitter (fast-check,
// fixed seed, a modest number of runs; `npm run fuzz` runs longer): random
// and mutated conformance sources are either accepted or refused with
// capgate's one-line rego_* errors, never with a crash.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "../../src/compiler/parser/index.js";
import { buildOutcome, checkOutcome, loadCorpus, loadCorpusCases, mutatedCase, mutatedSource, parseOutcome, randomSource } from "./rego-cases.js";

const SEED = 20261204;
const corpus = loadCorpus();

describe("Rego front end fuzz", () => {
  it("the corpus is there (a missing corpus fails, it does not skip)", () => {
    expect(corpus.length).toBeGreaterThan(500);
  });

  it("names a control character after a backslash in a string, so the error stays one line (found by npm run fuzz)", () => {
    expect(parseOutcome('package test\n\np := glob.match("\\\n', 1)).toEqual({ ok: false, wrong: null });
    expect(() => parse('package test\np := "\\\t"', { file: "t.rego" })).toThrow('illegal escape sequence: "\\" followed by U+0009');
    expect(() => parse('package test\np := "\\q"', { file: "t.rego" })).toThrow('illegal escape sequence "\\q"');
  });

  it("parser: random sources", () => {
    fc.assert(
      fc.property(randomSource, fc.constantFrom(0 as const, 1 as const), (text, v) => {
        const r = parseOutcome(text, v);
        if (r.wrong !== null) throw new Error(r.wrong);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("parser: mutated conformance sources", () => {
    fc.assert(
      fc.property(mutatedSource(corpus), (src) => {
        const r = parseOutcome(src.text, src.regoVersion);
        if (r.wrong !== null) throw new Error(r.wrong);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("parser and compiler passes: mutated conformance sources", () => {
    fc.assert(
      fc.property(mutatedSource(corpus), (src) => {
        const r = checkOutcome(src.text, src.regoVersion);
        if (r.wrong !== null) throw new Error(r.wrong);
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);

  it("the whole build (passes, planner, Wasm emitter): conformance cases with a module mutated, for their query", () => {
    fc.assert(
      fc.property(mutatedCase(loadCorpusCases()), (c) => {
        const r = buildOutcome(c);
        if (r.wrong !== null) throw new Error(r.wrong);
      }),
      { seed: SEED, numRuns: 120 },
    );
  }, 120_000);
});
