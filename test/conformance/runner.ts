// The conformance runner: compiles each case's modules and query with
// compilePolicy (the query as a named query), loads the module through
// @open-policy-agent/opa-wasm with capgate's host built-ins, evaluates it per
// input with Rego-syntax output (typed-eval.ts) and compares with the
// expectation, typed. The external suite and capgate's
// own end-to-end cases (test/cases/e2e) both run through here.
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { compilePolicy } from "../../src/compiler/index.js";
import { termString } from "../../src/compiler/ast/print.js";
import { parseQuery } from "../../src/compiler/parser/index.js";
import { CapgateError, CapgateErrors, type ErrorCode } from "../../src/errors.js";
import { instantiatePolicy } from "../../src/policy/runtime/index.js";
import { VALUE_VAR, wrapQuery } from "../../src/policy/tools/query-capture.js";
import { fromExpected, RObject, type V } from "../support/values.js";
import type { CaseFile, RawCase } from "./case-file.js";
import { mismatch, show } from "./compare.js";
import { evaluateJsonText, evaluateTyped, setDataText } from "./typed-eval.js";
import { canonicalKey, compareJ, JNum, jsonText, parseJsonExact, type J } from "./json-values.js";
import type { OpaCase, OpaCaseFile } from "./opa-case-file.js";

export type Kind = "value" | "error";
/** `na`: a case OPA's own Wasm target skips (its wasm-exceptions.yaml), not counted. */
export type Status = "passed" | "failed" | "excluded" | "skipped" | "na";

export interface Outcome {
  file: string;
  folder: string;
  note: string;
  kind: Kind;
  status: Status;
  /** Why it failed, was excluded or skipped. */
  detail?: string;
}

export interface Exclusion {
  file: string;
  note: string;
  reason: string;
  /** What `opa check` does with the case's modules and query: "pass" or the compile-time code it fails with (check-agreement.ts). */
  opa_check?: string;
}

export interface RunOptions {
  /** Rego version of the modules when a case does not say (the suite is v0, capgate's cases v1). */
  regoVersion: (file: string) => 0 | 1;
  exclusions?: Exclusion[];
}

const QUERY_NAME = "conformance/query";

/** regorus's reading of a query's result: the bindings when there are any, else the value. */
function resultOf(resultSet: V[], wrapped: boolean): V | undefined {
  const last = resultSet[resultSet.length - 1];
  if (last === undefined || !wrapped) return last;
  if (!(last instanceof RObject)) throw new Error(`a solution is an object of bindings, got ${show(last)}`);
  const bindings = new RObject();
  for (const [k, v] of last.m.values()) if (k !== VALUE_VAR) bindings.set(k, v);
  return bindings.m.size > 0 ? bindings : last.get(VALUE_VAR);
}

const GENUINE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "rego_parse_error",
  "rego_compile_error",
  "rego_unsafe_var_error",
  "rego_recursion_error",
  "rego_type_error",
  "eval_conflict_error",
  "eval_builtin_error",
  "eval_type_error",
]);

/**
 * An error counts as the error a case expects only when it is one a Rego
 * engine raises for bad policies; a crash of the toolchain, an emitter or
 * planner limitation, or a trap does not.
 */
export function isGenuineRegoError(e: unknown): boolean {
  if (e instanceof CapgateErrors) return e.errors.length > 0 && e.errors.every((x) => GENUINE_ERROR_CODES.has(x.code));
  return e instanceof CapgateError && GENUINE_ERROR_CODES.has(e.code);
}

/** The codes of an error (several when a pass reported several). */
export function errorCodes(e: unknown): string[] {
  if (e instanceof CapgateErrors) return e.errors.map((x) => x.code);
  return e instanceof CapgateError ? [e.code] : [];
}

/**
 * An error case passes on a genuine Rego error, and, when the code it expects
 * is known, only on an error of that code (as OPA's runner checks want_error_code).
 */
function judgeError(base: Omit<Outcome, "status">, e: unknown, wantCode: string | undefined): Outcome {
  if (!isGenuineRegoError(e)) return { ...base, status: "failed", detail: `wanted a Rego error, got ${describeError(e)}` };
  if (wantCode !== undefined && !errorCodes(e).includes(wantCode)) {
    return { ...base, status: "failed", detail: `wanted ${wantCode}, got ${describeError(e)}` };
  }
  return { ...base, status: "passed", detail: describeError(e) };
}

/**
 * regorus words its errors its own way; for the kinds below, OPA's code for the
 * same failure is certain, so the case must fail with that code. Other texts
 * keep the weaker judgement (any genuine Rego error).
 */
const REGORUS_ERROR_CODES: ReadonlyArray<[RegExp, ErrorCode]> = [
  [/keyword is required|rule must have a body/, "rego_parse_error"],
  [/expects \d+ arguments?\b|could not find function/, "rego_type_error"],
  [/this import shadows previous import|(input|data) cannot be shadowed/, "rego_compile_error"],
  [/rules should not produce multiple outputs/, "eval_conflict_error"],
  [/recursion detected/, "rego_recursion_error"],
  [/invalid `\w+` in default value|import path must begin with one of/, "rego_parse_error"],
  [/divide by zero/, "eval_builtin_error"],
];

export function regorusErrorCode(text: string): string | undefined {
  return REGORUS_ERROR_CODES.find(([re]) => re.test(text))?.[1];
}

export function describeError(e: unknown): string {
  if (e instanceof CapgateError) return e.format();
  if (e instanceof CapgateErrors) return e.errors.map((x) => x.format()).join(" | ");
  if (e instanceof Error) return `${e.name}: ${e.message.split("\n")[0]}`;
  return String(e);
}

function inputsOf(c: RawCase): unknown[] {
  if (c.input === undefined) return [undefined];
  const i = c.input as Record<string, unknown> | null;
  if (i && typeof i === "object" && !Array.isArray(i) && Array.isArray(i["many!"]) && Object.keys(i).length === 1) return i["many!"] as unknown[];
  return [c.input];
}

function expectedResults(c: RawCase): unknown[] {
  if (c.no_result) return [];
  const w = c.want_result as Record<string, unknown> | null;
  if (w && typeof w === "object" && !Array.isArray(w) && Array.isArray(w["many!"]) && Object.keys(w).length === 1) return w["many!"] as unknown[];
  return [c.want_result];
}

export async function runCase(file: CaseFile, c: RawCase, opts: RunOptions): Promise<Outcome> {
  const kind: Kind = c.error !== undefined ? "error" : "value";
  const base = { file: file.file, folder: file.folder, note: c.note, kind };
  const excl = opts.exclusions?.find((x) => x.file === file.file && x.note === c.note);
  if (excl) return { ...base, status: "excluded", detail: excl.reason };
  if (c.skip) return { ...base, status: "skipped", detail: "skip: true in the suite" };

  const wrapped = wrapQuery(c.query);
  let results: V[] = [];
  let prints: string[] = [];
  try {
    const compiled = compilePolicy({
      sources: (c.modules ?? []).map((text, i) => ({ file: `rego_${i}`, text })),
      entrypoints: [],
      queries: [{ name: QUERY_NAME, text: wrapped ?? c.query }],
      regoVersion: c.rego_version ?? opts.regoVersion(file.file),
      // The suite's cases expect strict built-in errors unless they say `strict: false`.
      strictBuiltinErrors: c.strict !== false,
    });
    const inst = await instantiatePolicy(compiled.wasm, c.data ?? {});
    for (const input of inputsOf(c)) {
      const rs = evaluateTyped(inst, input, QUERY_NAME);
      prints = prints.concat(inst.prints);
      const r = resultOf(rs, wrapped !== undefined);
      if (r !== undefined) results.push(r);
    }
  } catch (e) {
    if (kind === "error") return judgeError(base, e, regorusErrorCode(c.error ?? ""));
    return { ...base, status: "failed", detail: describeError(e) };
  }
  if (kind === "error") return { ...base, status: "failed", detail: `wanted an error (${c.error}), got ${JSON.stringify(results)}` };

  const want = expectedResults(c)
    .map(fromExpected)
    .filter((w): w is V => w !== undefined);
  if (results.length !== want.length) {
    return { ...base, status: "failed", detail: `want ${want.length} result(s) ${want.map(show).join(", ")}, got ${results.map(show).join(", ")}` };
  }
  for (let i = 0; i < want.length; i++) {
    const m = mismatch(results[i], want[i]!);
    if (m) return { ...base, status: "failed", detail: m };
  }
  if (c.want_prints && JSON.stringify(prints) !== JSON.stringify(c.want_prints)) {
    return { ...base, status: "failed", detail: `want prints ${JSON.stringify(c.want_prints)}, got ${JSON.stringify(prints)}` };
  }
  return { ...base, status: "passed" };
}

export interface OpaRunOptions {
  /** OPA's Wasm exceptions: `topic/note` → reason; such cases are n/a. */
  exceptions: Map<string, string>;
  exclusions?: Exclusion[];
}

/**
 * OPA's input_term is Rego text (sets, trailing commas); capgate's parser reads
 * it and its printer writes the value in the plain Rego value syntax the
 * module's opa_value_parse reads.
 */
function regoValueText(text: string): string {
  const body = parseQuery(text, { file: "input_term" }).body;
  const e = body[0];
  if (body.length !== 1 || e === undefined || e.kind !== "term") throw new Error(`input_term is not a single term: ${text}`);
  return termString(e.term);
}

/** A result row with each array binding sorted, as OPA's runner does for sort_bindings. */
function sortedRow(row: J): J {
  if (row === null || typeof row !== "object" || Array.isArray(row) || row instanceof JNum) return row;
  const out: { [k: string]: J } = {};
  for (const [k, v] of Object.entries(row as { [k: string]: J })) out[k] = Array.isArray(v) ? [...v].sort(compareJ) : v;
  return out;
}

function rowSet(rows: J[]): Map<string, J> {
  return new Map(rows.map((r) => [canonicalKey(r), r]));
}

/**
 * One of OPA's cases, judged as OPA's runner (v1/topdown/exported_test.go)
 * judges it: strict built-in errors only when strict_error says so; the result
 * rows compared as a set of JSON objects, numbers by value; want_defined on
 * whether any row came back; an error case passes only with the code it wants.
 */
export async function runOpaCase(file: OpaCaseFile, c: OpaCase, opts: OpaRunOptions): Promise<Outcome> {
  const kind: Kind = c.want_error_code !== undefined || c.want_error !== undefined ? "error" : "value";
  const base = { file: file.file, folder: file.folder, note: c.note, kind };
  const na = opts.exceptions.get(c.note);
  if (na !== undefined) return { ...base, status: "na", detail: na };
  const excl = opts.exclusions?.find((x) => x.file === file.file && x.note === c.note);
  if (excl) return { ...base, status: "excluded", detail: excl.reason };

  let rows: J[];
  try {
    const compiled = compilePolicy({
      sources: c.modules.map((text, i) => ({ file: `rego_${i}`, text })),
      entrypoints: [],
      queries: [{ name: QUERY_NAME, text: c.query }],
      regoVersion: 1,
      strictBuiltinErrors: c.strict_error === true,
    });
    const inst = await instantiatePolicy(compiled.wasm);
    setDataText(inst, jsonText(c.data ?? {}));
    const input = c.input_term !== undefined ? regoValueText(c.input_term) : c.input === undefined ? undefined : jsonText(c.input);
    const answer = parseJsonExact(evaluateJsonText(inst, input, QUERY_NAME));
    if (!Array.isArray(answer)) throw new Error(`the module answered ${jsonText(answer)}, not a result set`);
    rows = answer;
  } catch (e) {
    if (kind === "error") return judgeError(base, e, c.want_error_code);
    return { ...base, status: "failed", detail: describeError(e) };
  }
  if (kind === "error") return { ...base, status: "failed", detail: `wanted ${c.want_error_code ?? "an error"} (${c.want_error ?? ""}), got ${jsonText(rows)}` };
  if (c.want_defined !== undefined && c.want_defined !== rows.length > 0) {
    return { ...base, status: "failed", detail: `want ${c.want_defined ? "defined" : "undefined"}, got ${jsonText(rows)}` };
  }
  if (c.want_result !== undefined) {
    const got = rowSet(c.sort_bindings ? rows.map(sortedRow) : rows);
    const want = rowSet(c.want_result);
    const same = got.size === want.size && [...want.keys()].every((k) => got.has(k));
    if (!same) return { ...base, status: "failed", detail: `want ${jsonText([...want.values()])}, got ${jsonText([...got.values()])}` };
  }
  return { ...base, status: "passed" };
}

export async function runOpaFiles(files: OpaCaseFile[], opts: OpaRunOptions): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const f of files) for (const c of f.cases) out.push(await runOpaCase(f, c, opts));
  return out;
}

export async function runFiles(files: CaseFile[], opts: RunOptions): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const f of files) for (const c of f.cases) out.push(await runCase(f, c, opts));
  return out;
}

export function readExclusions(path: string): Exclusion[] {
  const doc = YAML.parse(readFileSync(path, "utf8")) as { exclusions?: unknown } | null;
  const list = doc?.exclusions ?? [];
  if (!Array.isArray(list)) throw new Error(`${path}: "exclusions" must be a list`);
  return list.map((x, i) => {
    const e = x as Partial<Exclusion>;
    if (typeof e.file !== "string" || typeof e.note !== "string" || typeof e.reason !== "string" || e.reason.trim().length < 10) {
      throw new Error(`${path}: exclusion ${i + 1} needs file, note and a written reason`);
    }
    if (e.opa_check !== undefined && !/^(pass|rego_[a-z_]+_error)$/.test(e.opa_check)) {
      throw new Error(`${path}: exclusion ${i + 1}: opa_check must be "pass" or a rego_*_error code, got ${JSON.stringify(e.opa_check)}`);
    }
    return e as Exclusion;
  });
}

export interface Tally {
  passed: number;
  failed: number;
  excluded: number;
  skipped: number;
  na: number;
}

const emptyTally = (): Tally => ({ passed: 0, failed: 0, excluded: 0, skipped: 0, na: 0 });

export function tally(outcomes: Outcome[]): { value: Tally; error: Tally } {
  const t = { value: emptyTally(), error: emptyTally() };
  for (const o of outcomes) t[o.kind][o.status]++;
  return t;
}

/** Share of cases passed, excluded ones counted as failures, suite-skipped and n/a ones left out. */
export function passRate(t: Tally): number {
  const n = t.passed + t.failed + t.excluded;
  return n === 0 ? 1 : t.passed / n;
}

export function formatReport(title: string, outcomes: Outcome[]): string {
  const folders = [...new Set(outcomes.map((o) => o.folder))].sort();
  const row = (name: string, os: Outcome[]): string => {
    const t = tally(os);
    const aside = (x: Tally): string => [x.skipped ? `+${x.skipped} skipped` : "", x.na ? `+${x.na} n/a` : ""].filter(Boolean).join(", ");
    const cell = (x: Tally): string => `${x.passed}/${x.failed}/${x.excluded}`.padEnd(12) + (aside(x) ? ` (${aside(x)})` : "").padEnd(14);
    return `${name.padEnd(34)} ${cell(t.value)} ${cell(t.error)}`;
  };
  const lines = [
    title,
    `${"folder".padEnd(34)} ${"value p/f/x".padEnd(26)} ${"error p/f/x".padEnd(26)}`,
    ...folders.map((f) => row(f, outcomes.filter((o) => o.folder === f))),
    row("TOTAL", outcomes),
  ];
  const t = tally(outcomes);
  lines.push(
    `value-expecting: ${t.value.passed} passed of ${t.value.passed + t.value.failed + t.value.excluded} (${(100 * passRate(t.value)).toFixed(1)}%, excluded count as failed); ` +
      `error-expecting: ${t.error.passed} passed of ${t.error.passed + t.error.failed + t.error.excluded} (${(100 * passRate(t.error)).toFixed(1)}%)`,
  );
  return lines.join("\n");
}
