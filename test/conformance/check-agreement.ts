// `capgate policy check` against `opa check` over both conformance corpora.
// No opa binary is at hand, but every case says what OPA does with its
// modules: a value case (or one failing only at evaluation, eval_*) means OPA
// compiles them; a want_error_code of a compile-time code means OPA rejects
// them with that code. capgate's side is what `policy check` runs
// (checkPolicies), then the case's query compiled against the modules, as
// OPA's runner compiles both before evaluating.
import { checkPolicies } from "../../src/policy/tools/index.js";
import { compile } from "../../src/compiler/passes/index.js";
import { parse, parseQuery } from "../../src/compiler/parser/index.js";
import type { RegoVersion } from "../../src/compiler/ast/types.js";
import type { CaseFile, RawCase } from "./case-file.js";
import type { OpaCaseFile } from "./opa-case-file.js";
import { errorCodes, regorusErrorCode, type Exclusion } from "./runner.js";

/** Codes OPA's compiler (and so `opa check`) reports; any other code comes from evaluation. */
export const COMPILE_TIME_CODES: ReadonlySet<string> = new Set(["rego_parse_error", "rego_compile_error", "rego_type_error", "rego_unsafe_var_error", "rego_recursion_error"]);

/** A check's outcome: "pass", or the codes of the errors it reported. */
export type CheckOutcome = { pass: true } | { pass: false; codes: string[]; detail: string; messages: string[] };

/** What OPA's check does with a case: pass, fail with a code, or not implied by the case. */
export type Expected = "pass" | { code: string } | "unknown";

/**
 * capabilities: OPA's check passes with OPA's own capabilities, but the case
 * calls a built-in capgate leaves out (http.send, net.lookup_ip_addr, ...), so
 * `opa check --capabilities` with capgate's capabilities (policy capabilities)
 * fails as capgate's check does.
 */
export type Verdict = "agree" | "capabilities" | "capgate-rejects" | "capgate-accepts" | "other-code" | "unknown";

export interface CheckRow {
  suite: string;
  topic: string;
  note: string;
  expected: Expected;
  verdict: Verdict;
  detail: string;
}

function checkCase(modules: string[], query: string, regoVersion: RegoVersion): CheckOutcome {
  const sources = modules.map((text, i) => ({ file: `rego_${i}`, text }));
  const errors = checkPolicies({ sources, regoVersion });
  if (errors.length > 0) {
    return { pass: false, codes: errors.map((e) => e.code), detail: errors.map((e) => e.format()).join(" | "), messages: errors.map((e) => e.message) };
  }
  try {
    const parsed = sources.map((s) => parse(s.text, { file: s.file, regoVersion }));
    compile(parsed, { queries: [{ name: "check/query", query: parseQuery(query, { file: "query", regoVersion }) }] });
    return { pass: true };
  } catch (e) {
    const codes = errorCodes(e);
    if (codes.length === 0) throw e;
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    return { pass: false, codes, detail: `query: ${message}`, messages: [message] };
  }
}

/** How CheckUndefinedFuncs words a call of a built-in OPA has and capgate's capabilities leave out. */
const LEFT_OUT = /capgate does not provide this built-in/;

function judge(expected: Expected, got: CheckOutcome): { verdict: Verdict; detail: string } {
  const detail = got.pass ? "passes" : got.detail;
  if (expected === "unknown") return { verdict: "unknown", detail };
  if (expected === "pass") {
    if (got.pass) return { verdict: "agree", detail };
    return { verdict: got.messages.every((m) => LEFT_OUT.test(m)) ? "capabilities" : "capgate-rejects", detail };
  }
  if (got.pass) return { verdict: "capgate-accepts", detail: `OPA: ${expected.code}; capgate passes` };
  return { verdict: got.codes.includes(expected.code) ? "agree" : "other-code", detail: `OPA: ${expected.code}; capgate: ${detail}` };
}

/** OPA's own cases: value and eval_* error cases pass opa check, compile-time codes fail it (the code from want_error_code, else from want_error's text). */
export function checkOpaFiles(files: OpaCaseFile[]): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const f of files) {
    for (const c of f.cases) {
      const isError = c.want_error_code !== undefined || c.want_error !== undefined;
      // A case giving only want_error names the code in its text ("...: eval_type_error: ...").
      const code = c.want_error_code ?? /\b(?:rego|eval)_[a-z_]+_error\b/.exec(c.want_error ?? "")?.[0];
      let expected: Expected = "pass";
      if (isError) expected = code === undefined ? "unknown" : COMPILE_TIME_CODES.has(code) ? { code } : "pass";
      rows.push({ suite: "opa", topic: f.folder, note: c.note, expected, ...judge(expected, checkCase(c.modules, c.query, 1)) });
    }
  }
  return rows;
}

/**
 * OPA's outcome for a regorus case. A case whose expectation OPA does not share
 * is in exclusions.yaml, whose `opa_check` says what opa check does (pass or a
 * code); a value case OPA shares passes; an error case implies OPA's code only
 * when regorus's wording pins it (regorusErrorCode), else it is not implied.
 */
function regorusExpected(c: RawCase, excl: Exclusion | undefined): Expected {
  if (excl !== undefined) return excl.opa_check === undefined ? "unknown" : excl.opa_check === "pass" ? "pass" : { code: excl.opa_check };
  if (c.error === undefined) return "pass";
  const code = regorusErrorCode(c.error);
  if (code === undefined) return "unknown";
  return COMPILE_TIME_CODES.has(code) ? { code } : "pass";
}

export function checkRegorusFiles(files: CaseFile[], opts: { regoVersion: (file: string) => RegoVersion; exclusions: Exclusion[] }): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const f of files) {
    for (const c of f.cases) {
      if (c.skip) continue;
      const excl = opts.exclusions.find((x) => x.file === f.file && x.note === c.note);
      const expected = regorusExpected(c, excl);
      const got = checkCase(c.modules ?? [], c.query, c.rego_version ?? opts.regoVersion(f.file));
      rows.push({ suite: "regorus", topic: f.folder, note: `${f.file} :: ${c.note}`, expected, ...judge(expected, got) });
    }
  }
  return rows;
}

const VERDICTS: Verdict[] = ["agree", "capabilities", "capgate-rejects", "capgate-accepts", "other-code", "unknown"];

export function countVerdicts(rows: CheckRow[]): Record<Verdict, number> {
  const out = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of rows) out[r.verdict]++;
  return out;
}

/** Per topic: agree / capgate rejects what OPA accepts / capgate accepts what OPA rejects / other code / not implied. */
export function formatCheckReport(title: string, rows: CheckRow[]): string {
  const topics = [...new Set(rows.map((r) => r.topic))].sort();
  const line = (name: string, rs: CheckRow[]): string => `${name.padEnd(34)} ${VERDICTS.map((v) => String(countVerdicts(rs)[v]).padStart(v.length)).join("  ")}`;
  const lines = [title, `${"topic".padEnd(34)} ${VERDICTS.join("  ")}`];
  for (const t of topics) {
    const rs = rows.filter((r) => r.topic === t);
    if (rs.some((r) => r.verdict !== "agree")) lines.push(line(t, rs));
  }
  lines.push(line(`(${topics.length} topics, all-agree ones not listed) TOTAL`, rows));
  const n = countVerdicts(rows);
  const judged = rows.length - n.unknown;
  const pct = (x: number): string => ((100 * x) / Math.max(judged, 1)).toFixed(1);
  lines.push(
    `check agreement: ${n.agree} of ${judged} cases whose OPA outcome is known (${pct(n.agree)}%), ` +
      `${n.agree + n.capabilities} (${pct(n.agree + n.capabilities)}%) against capgate's capabilities; ${n.unknown} not implied by the case`,
  );
  return lines.join("\n");
}
