// Runs test/cases/passes/**.yaml: each case's modules must fail to compile with
// the expected error (code, message fragment, row and col of the first error),
// or, with `want`, compile and evaluate (interpreter path) to that value.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CapgateError, CapgateErrors } from "../../src/errors.js";
import { parse } from "../../src/compiler/parser/index.js";
import { compile } from "../../src/compiler/passes/index.js";
import { loadCases } from "../support/case-files.js";

const cases = loadCases(join(import.meta.dirname, "..", "cases", "passes"));

describe("compiler pass errors", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThan(0));
  for (const { file, c } of cases) {
    it(`${file}: ${c.note}`, () => {
      const modules = c.modules.map((src, i) => parse(src, { file: `module${i}.rego`, regoVersion: c.v0 ? 0 : 1 }));
      let thrown: unknown;
      try {
        compile(modules);
      } catch (e) {
        thrown = e;
      }
      if (!c.want_error) {
        expect(thrown).toBeUndefined();
        return;
      }
      expect(thrown, "expected a compile error").toBeInstanceOf(CapgateErrors);
      const errors = (thrown as CapgateErrors).errors;
      const match = errors.find((e: CapgateError) => e.code === c.want_error!.code && e.message.includes(c.want_error!.message));
      expect(match, `no ${c.want_error.code} containing "${c.want_error.message}" in:\n${(thrown as Error).message}`).toBeDefined();
      if (c.want_error.row !== undefined) expect(match!.location?.row).toBe(c.want_error.row);
      if (c.want_error.col !== undefined) expect(match!.location?.col).toBe(c.want_error.col);
      expect(match!.location?.file).toMatch(/^module\d+\.rego$/);
      if (c.want_error_count !== undefined) expect(errors).toHaveLength(c.want_error_count);
    });
  }
});
