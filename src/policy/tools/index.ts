// The policy tools behind `capgate policy build|eval|test|check`, as typed
// library functions: each takes sources (or paths) and returns data; printing
// and exit codes belong to the CLI.
// The compiler's front file; binaryen stays unloaded unless a tool asks for its linker.
import { compile, compilePolicy, normalizeEntrypoint, parse, type ast, type PolicySource } from "../../compiler/index.js";
import { CapgateError, CapgateErrors } from "../../errors.js";
import { STRICT_BUILTIN_ERRORS_KEY } from "../manifest.js";
import { moduleKey, readCachedModule, writeCachedModule } from "./module-cache.js";
import { coverageReport, readCoverageBytes, type CoverageReport } from "./coverage.js";
import { splitSolution, wrapQuery } from "./query-capture.js";

// Loaded when a tool needs them: the SDK with the host built-ins, the bundle
// writer. `policy check` needs neither.
const runtime = (): Promise<typeof import("../runtime/index.js")> => import("../runtime/index.js");

export interface BuildBundleOptions {
  sources: PolicySource[];
  entrypoints?: string[];
  data?: Record<string, unknown>;
  regoVersion?: ast.RegoVersion;
  revision?: string;
  /** OPA's strict built-in errors (default off, as in OPA); recorded in the manifest's metadata too. */
  strictBuiltinErrors?: boolean;
}

/** Compiles the sources and writes a bundle in `opa build -t wasm` layout; returns .tar.gz bytes. */
export async function buildBundle(opts: BuildBundleOptions): Promise<{ bundle: Uint8Array; entrypoints: string[]; builtins: string[] }> {
  const { instantiatePolicy } = await runtime();
  const { writeBundle } = await import("../bundle.js");
  const compiled = compilePolicy({
    sources: opts.sources,
    ...(opts.entrypoints ? { entrypoints: opts.entrypoints.map(normalizeEntrypoint) } : {}),
    ...(opts.regoVersion !== undefined ? { regoVersion: opts.regoVersion } : {}),
    strictBuiltinErrors: opts.strictBuiltinErrors === true,
  });
  // Fail before writing: a bundle whose module cannot load would only fail later, in the sidecar.
  await instantiatePolicy(compiled.wasm, opts.data ?? {});
  const bundle = await writeBundle({
    wasm: compiled.wasm,
    entrypoints: compiled.entrypoints,
    data: opts.data ?? {},
    ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    ...(opts.strictBuiltinErrors === true ? { metadata: { [STRICT_BUILTIN_ERRORS_KEY]: true } } : {}),
  });
  return { bundle, entrypoints: compiled.entrypoints, builtins: compiled.builtins };
}

export interface EvalQueryOptions {
  sources: PolicySource[];
  query: string;
  data?: Record<string, unknown>;
  input?: unknown;
  regoVersion?: ast.RegoVersion;
  /** OPA's strict built-in errors: a failing built-in is an error, not undefined. */
  strictBuiltinErrors?: boolean;
  /** Use the module cache (module-cache.ts); default true. */
  cache?: boolean;
}

export interface EvalQueryResult {
  /** `[{"result": v}]` for an expression query, the variable bindings for one with variables, `[]` when undefined. */
  resultSet: Array<Record<string, unknown>>;
  /** Lines print() produced. */
  prints: string[];
}

const EVAL_QUERY = "capgate/eval";

export async function evalQuery(opts: EvalQueryOptions): Promise<EvalQueryResult> {
  const wrapped = wrapQuery(opts.query);
  const compileOpts = {
    sources: opts.sources,
    entrypoints: [],
    queries: [{ name: EVAL_QUERY, text: wrapped ?? opts.query }],
    regoVersion: opts.regoVersion ?? 1,
    strictBuiltinErrors: opts.strictBuiltinErrors === true,
  };
  // A module compiled before from the same inputs by the same compiler is loaded as it is.
  const key = opts.cache === false ? undefined : moduleKey(compileOpts);
  const { evaluatePolicyExact, instantiatePolicy, JsonText } = await runtime();
  const cached = readCachedModule(key);
  // A cached module that does not load (a damaged file) is compiled again.
  let inst = cached === undefined ? undefined : await instantiatePolicy(cached, opts.data ?? {}).catch(() => undefined);
  if (inst === undefined) {
    const wasm = compilePolicy(compileOpts).wasm;
    writeCachedModule(key, wasm);
    inst = await instantiatePolicy(wasm, opts.data ?? {});
  }
  // The module's JSON text is read with big integers kept exact (bigints), as OPA prints them.
  const rs = evaluatePolicyExact(inst, new JsonText(opts.input === undefined ? "" : JSON.stringify(opts.input)), EVAL_QUERY);
  const resultSet = rs.map((sol) => {
    if (!wrapped) return sol;
    const { value, bindings } = splitSolution(sol);
    return Object.keys(bindings).length > 0 ? bindings : { result: value };
  });
  return { resultSet, prints: inst.prints };
}

export type TestStatus = "PASS" | "FAIL" | "ERROR";

export interface TestResult {
  /** `data.pkg.test_name` */
  name: string;
  file: string;
  /** Where the test rule starts (its first definition). */
  location: { file: string; row: number; col: number };
  /** Evaluation time in nanoseconds, as OPA's reporters give it. */
  duration: number;
  status: TestStatus;
  /** The error for ERROR, the value for a FAIL that was defined. */
  detail?: string;
  prints: string[];
}

/** The test rules (`test_*`, not functions) of every module, as `opa test` finds them, as entrypoint paths. */
export function findTests(modules: ast.Module[]): Array<{ path: string; file: string; location: ast.Location }> {
  const seen = new Map<string, { file: string; location: ast.Location }>();
  for (const m of modules) {
    const pkg = m.package.path.slice(1).map((t) => (t.value.kind === "string" ? t.value.value : ""));
    for (const r of m.rules) {
      const head = r.head.ref[0]?.value;
      if (r.head.ref.length !== 1 || head?.kind !== "var" || !head.name.startsWith("test_") || r.head.args) continue;
      const path = [...pkg, head.name].join("/");
      if (!seen.has(path)) seen.set(path, { file: m.file, location: r.location });
    }
  }
  return [...seen].map(([path, at]) => ({ path, ...at }));
}

/** Runs every test rule (those whose `data.` name `run` matches, when given) through one compiled module, as `opa test` does. */
export interface RunTestsOptions {
  sources: PolicySource[];
  data?: Record<string, unknown>;
  regoVersion?: ast.RegoVersion;
  run?: RegExp;
  strictBuiltinErrors?: boolean;
}

export async function runTests(opts: RunTestsOptions): Promise<TestResult[]> {
  return (await runTestSuite(opts, false)).results;
}

/** Runs the tests with line coverage, reported in the shape of `opa test --coverage`. */
export async function runTestsWithCoverage(opts: RunTestsOptions): Promise<{ results: TestResult[]; coverage: CoverageReport }> {
  const r = await runTestSuite(opts, true);
  return { results: r.results, coverage: r.coverage ?? coverageReport([], new Uint8Array(0)) };
}

async function runTestSuite(opts: RunTestsOptions, withCoverage: boolean): Promise<{ results: TestResult[]; coverage?: CoverageReport }> {
  const regoVersion = opts.regoVersion ?? 1;
  const modules = opts.sources.map((s) => parse(s.text, { file: s.file, regoVersion }));
  const tests = findTests(modules).filter((t) => opts.run === undefined || opts.run.test(testName(t.path)));
  if (tests.length === 0) return { results: [] };
  const { evaluatePolicy, instantiatePolicy } = await runtime();
  const compiled = compilePolicy({
    sources: opts.sources,
    entrypoints: tests.map((t) => t.path),
    regoVersion,
    strictBuiltinErrors: opts.strictBuiltinErrors === true,
    coverage: withCoverage,
  });
  const inst = await instantiatePolicy(compiled.wasm, opts.data ?? {});
  const results = tests.map(({ path, file, location }): TestResult => {
    const base = { name: testName(path), file, location: { file, row: location.row, col: location.col } };
    const t0 = process.hrtime.bigint();
    const took = (): number => Number(process.hrtime.bigint() - t0);
    try {
      const rs = evaluatePolicy(inst, undefined, path);
      const duration = took();
      const prints = inst.prints;
      const value = rs[0]?.["result"];
      if (rs.length === 0) return { ...base, duration, status: "FAIL" as const, detail: "undefined", prints };
      if (value === false) return { ...base, duration, status: "FAIL" as const, detail: "false", prints };
      return { ...base, duration, status: "PASS" as const, prints };
    } catch (e) {
      return { ...base, duration: took(), status: "ERROR" as const, detail: e instanceof CapgateError ? e.format() : String(e), prints: inst.prints };
    }
  });
  const lines = compiled.coverage;
  return lines ? { results, coverage: coverageReport(lines, readCoverageBytes(inst, lines.length), ruleLines(modules)) } : { results };
}

/** The lines of every rule head and body expression (else chains included), for coverage. */
function ruleLines(modules: ast.Module[]): Array<{ file: string; row: number }> {
  const out: Array<{ file: string; row: number }> = [];
  for (const m of modules) {
    for (let rules = m.rules; rules.length > 0; rules = rules.flatMap((r) => (r.else ? [r.else] : []))) {
      for (const r of rules) {
        out.push({ file: m.file, row: r.location.row });
        for (const e of r.body) if (!e.generated) out.push({ file: m.file, row: e.location.row });
      }
    }
  }
  return out;
}

function testName(path: string): string {
  return `data.${path.split("/").join(".")}`;
}

/** A result as one entry of `opa test --format json` (tester.Result): package and name apart, fail/error flags, output as base64. */
export function opaTestJson(t: TestResult): Record<string, unknown> {
  const dot = t.name.lastIndexOf(".");
  const out: Record<string, unknown> = { location: t.location, package: t.name.slice(0, dot), name: t.name.slice(dot + 1) };
  if (t.status === "FAIL") out["fail"] = true;
  if (t.status === "ERROR") out["error"] = { message: t.detail ?? "" };
  out["duration"] = t.duration;
  if (t.prints.length > 0) out["output"] = Buffer.from(t.prints.map((p) => p + "\n").join("")).toString("base64");
  return out;
}

function asErrors(e: unknown): CapgateError[] {
  if (e instanceof CapgateErrors) return [...e.errors];
  if (e instanceof CapgateError) return [e];
  throw e;
}

/** Parses and compiles (no planning or Wasm); returns every error found, in file order. */
export function checkPolicies(opts: { sources: PolicySource[]; regoVersion?: ast.RegoVersion }): CapgateError[] {
  const errors: CapgateError[] = [];
  const modules: ast.Module[] = [];
  for (const s of opts.sources) {
    try {
      modules.push(parse(s.text, { file: s.file, regoVersion: opts.regoVersion ?? 1 }));
    } catch (e) {
      errors.push(...asErrors(e));
    }
  }
  if (errors.length > 0) return errors;
  try {
    compile(modules);
  } catch (e) {
    errors.push(...asErrors(e));
  }
  return errors;
}
