// Runs test/cases/planner/**.yaml: Rego text → parse → compile → plan → the
// reference IR interpreter (test support), comparing with the expected value,
// undefined, or compile error.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CapgateError, CapgateErrors } from "../../src/errors.js";
import { loadCases } from "../support/case-files.js";
import { compileRego, evalCompiled } from "../support/rego-eval.js";
import { type V, fromExpected, toJSON } from "../support/values.js";

const cases = loadCases(join(import.meta.dirname, "..", "cases", "planner"));

function firstError(e: unknown): CapgateError {
  if (e instanceof CapgateErrors) return e.errors[0]!;
  if (e instanceof CapgateError) return e;
  throw e;
}

describe("planner cases (interpreter path)", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThan(0));
  for (const { file, c } of cases) {
    it(`${file}: ${c.note}`, () => {
      const prints: string[] = [];
      let answers: V[];
      try {
        const compiled = compileRego(c.modules, c.query, c.v0 ? 0 : 1);
        answers = evalCompiled(compiled, c.input, c.data ?? {}, (l) => prints.push(l));
      } catch (e) {
        if (!c.want_error) throw e;
        const err = firstError(e);
        expect(err.code).toBe(c.want_error.code);
        expect(err.message).toContain(c.want_error.message);
        if (c.want_error.row !== undefined) expect(err.location?.row).toBe(c.want_error.row);
        if (c.want_error.col !== undefined) expect(err.location?.col).toBe(c.want_error.col);
        return;
      }
      expect(c.want_error, "expected an error").toBeUndefined();
      if (c.want_undefined) expect(answers.map(toJSON)).toEqual([]);
      else {
        const want = fromExpected(c.want);
        expect(answers.map(toJSON)).toEqual(want === undefined ? [] : [toJSON(want)]);
      }
      if (c.want_prints) expect(prints).toEqual(c.want_prints);
    });
  }
});
