// policy test --coverage: lines the tests ran are covered, lines of rules they
// never reach are not, in the shape of OPA's coverage report.
import { describe, expect, it } from "vitest";
import { runTestsWithCoverage } from "../../src/policy/tools/index.js";

const POLICY = `package authz

default allow := false

allow if {
	input.user == "admin"
}

allow if {
	input.user == "guest"
	input.method == "GET"
}

never if {
	input.x == 1
}
`;
const TESTS = `package authz_test

import data.authz

test_admin if authz.allow with input as {"user": "admin"}

test_other if not authz.allow with input as {"user": "bob"}
`;

const rows = (rs: Array<{ start: { row: number }; end: { row: number } }> | undefined): number[] =>
  (rs ?? []).flatMap((r) => Array.from({ length: r.end.row - r.start.row + 1 }, (_, i) => r.start.row + i));

describe("policy test --coverage", () => {
  it("reports covered and not covered lines per file as OPA does", async () => {
    const { results, coverage } = await runTestsWithCoverage({
      sources: [
        { file: "authz.rego", text: POLICY },
        { file: "authz_test.rego", text: TESTS },
      ],
    });
    expect(results.map((r) => r.status)).toEqual(["PASS", "PASS"]);
    const authz = coverage.files["authz.rego"]!;
    expect(rows(authz.covered)).toEqual(expect.arrayContaining([3, 5, 6, 10]));
    expect(rows(authz.not_covered)).toEqual(expect.arrayContaining([11, 14, 15]));
    expect(rows(authz.covered).filter((r) => rows(authz.not_covered).includes(r))).toEqual([]);
    expect(coverage.files["authz_test.rego"]?.coverage).toBe(100);
    expect(Object.keys(coverage.files).sort()).toEqual(["authz.rego", "authz_test.rego"]);
    expect(coverage.covered_lines + coverage.not_covered_lines).toBeGreaterThan(0);
    expect(coverage.coverage).toBeCloseTo((100 * coverage.covered_lines) / (coverage.covered_lines + coverage.not_covered_lines), 1);
  });
});
