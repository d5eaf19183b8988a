// `policy test --coverage`: the module compiled with coverage marks one byte
// per source line that has statements (compilePolicy's `coverage` lists them);
// after the tests ran, the lines whose byte is set are covered. The report has
// the shape of OPA's (`opa test --coverage`, cover.Report): per file, covered and
// not covered line ranges and counts, and the percentage, overall too.
import type { PolicyInstance } from "../runtime/index.js";

export interface LineRange {
  start: { row: number };
  end: { row: number };
}

export interface FileCoverage {
  covered?: LineRange[];
  not_covered?: LineRange[];
  covered_lines?: number;
  not_covered_lines?: number;
  coverage?: number;
}

export interface CoverageReport {
  files: Record<string, FileCoverage>;
  covered_lines: number;
  not_covered_lines: number;
  coverage: number;
}

const COVERAGE_GLOBAL = "capgate_coverage";

/** The coverage bytes of a module compiled with coverage, one per listed line. */
export function readCoverageBytes(inst: PolicyInstance, count: number): Uint8Array {
  const exports = (inst.policy.wasmInstance as unknown as { exports: Record<string, unknown> }).exports;
  const g = exports[COVERAGE_GLOBAL] as { value: number } | undefined;
  const mem = exports["memory"] as { buffer: ArrayBuffer } | undefined;
  if (!g || !mem) return new Uint8Array(count);
  return new Uint8Array(mem.buffer, g.value, count).slice();
}

/** Consecutive rows as ranges, as OPA prints them. */
function ranges(rows: number[]): LineRange[] {
  const out: LineRange[] = [];
  for (const r of [...rows].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && r === last.end.row + 1) last.end.row = r;
    else if (!last || r > last.end.row) out.push({ start: { row: r }, end: { row: r } });
  }
  return out;
}

const percent = (covered: number, total: number): number => (total === 0 ? 0 : Math.round((10000 * covered) / total) / 100);

/**
 * `lines` and `marks` are the module's (slot by slot); `known` adds the lines of
 * rules the tests never reach, which the module holds no code for, so that they
 * count as not covered, as in OPA's report.
 */
export function coverageReport(lines: ReadonlyArray<{ file: string; row: number }>, marks: Uint8Array, known: ReadonlyArray<{ file: string; row: number }> = []): CoverageReport {
  const byFile = new Map<string, { covered: Set<number>; all: Set<number> }>();
  const note = (file: string, row: number, covered: boolean): void => {
    const f = byFile.get(file) ?? { covered: new Set<number>(), all: new Set<number>() };
    f.all.add(row);
    if (covered) f.covered.add(row);
    byFile.set(file, f);
  };
  lines.forEach(({ file, row }, slot) => note(file, row, marks[slot] === 1));
  for (const { file, row } of known) note(file, row, false);
  const files: Record<string, FileCoverage> = {};
  let covered = 0;
  let notCovered = 0;
  for (const [file, f] of [...byFile].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cov = [...f.all].filter((r) => f.covered.has(r));
    const not = [...f.all].filter((r) => !f.covered.has(r));
    covered += cov.length;
    notCovered += not.length;
    const fc: FileCoverage = {};
    if (cov.length) (fc.covered = ranges(cov)), (fc.covered_lines = cov.length);
    if (not.length) (fc.not_covered = ranges(not)), (fc.not_covered_lines = not.length);
    const pct = percent(cov.length, f.all.size);
    if (pct) fc.coverage = pct;
    files[file] = fc;
  }
  return { files, covered_lines: covered, not_covered_lines: notCovered, coverage: percent(covered, covered + notCovered) };
}
