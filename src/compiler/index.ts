// The compiler's front door: runs parse → compile → plan → emit over a set of
// Rego sources and returns the Wasm module with what it exposes. Every tool
// (bundle build, eval, test, the conformance harness) compiles through here so
// they all see the same pipeline.
import { CapgateError } from "../errors.js";
import type * as ast from "./ast/types.js";
import { parse, parseQuery } from "./parser/index.js";
import { compile } from "./passes/index.js";
import { plan } from "./planner/index.js";
import { emit, type Linker } from "./wasm/index.js";
import { RUNTIME_BUILTINS } from "../wasm-abi/index.js";

export type * as ast from "./ast/types.js";

// The built-in declarations (names, arities, kinds), for tools that describe what
// the compiler accepts (`policy capabilities`).
export { BUILTINS, OPERATOR_SYMBOLS, type BuiltinDecl } from "./ast/builtin-decls.js";
export { ANY, BUILTIN_TYPES, KIND, type KindName, type TypeMask, type ValueType } from "./ast/builtin-types.js";

export { binaryenLinker, type Linker } from "./wasm/index.js";

// The first two stages alone, for tools that only check (`policy check`).
export { parse, compile };

export interface PolicySource {
  file: string;
  text: string;
}

export interface PolicyQuery {
  /** The plan (entrypoint) name the query is evaluated under. */
  name: string;
  text: string;
}

export interface CompilePolicyOptions {
  sources: PolicySource[];
  /** Slash paths under data (`capgate/token/issue`); default: rules annotated `entrypoint: true`. */
  entrypoints?: string[];
  queries?: PolicyQuery[];
  regoVersion?: ast.RegoVersion;
  /**
   * OPA's strict built-in errors. Off by default, as in OPA: a built-in that
   * fails (in Wasm or on the host) makes its expression undefined; on, it is an
   * evaluation error. The module exports the setting (`capgate_builtin_strict`).
   */
  strictBuiltinErrors?: boolean;
  /** Emit line coverage marks (`policy test --coverage`); the lines come back in `coverage`. */
  coverage?: boolean;
  /** How the module is written (default: the direct linker; `await binaryenLinker()` for binaryen's). */
  linker?: Linker;
}

export interface CompiledModule {
  wasm: Uint8Array;
  /** Entrypoint names in the module: the data paths, then the query names. */
  entrypoints: string[];
  /** Built-ins the module imports from the host (`opa_builtinN`). */
  builtins: string[];
  /** With `coverage`: the source line of each coverage byte, by slot. */
  coverage?: Array<{ file: string; row: number }>;
}

/** Parses every source (reporting all parse errors, not only the first). */
export function parseSources(sources: PolicySource[], regoVersion: ast.RegoVersion = 1): ast.Module[] {
  return sources.map((s) => parse(s.text, { file: s.file, regoVersion }));
}

export function compilePolicy(opts: CompilePolicyOptions): CompiledModule {
  const regoVersion = opts.regoVersion ?? 1;
  const modules = parseSources(opts.sources, regoVersion);
  const queries = (opts.queries ?? []).map((q) => ({
    name: q.name,
    query: parseQuery(q.text, { file: q.name, regoVersion }),
  }));
  const entrypoints = opts.entrypoints ?? annotatedEntrypoints(modules);
  for (const e of entrypoints) validateEntrypoint(e);
  if (entrypoints.length === 0 && queries.length === 0) {
    throw new CapgateError(
      "rego_compile_error",
      "no entrypoints: pass -e PATH or annotate a rule with `# METADATA` and `# entrypoint: true`",
    );
  }
  const compiled = compile(modules, { queries });
  const policy = plan(compiled, { entrypoints, queries: queries.map((q) => q.name) });
  const coverage: Array<{ file: string; row: number }> | undefined = opts.coverage ? [] : undefined;
  const wasm = emit(policy, {
    strictBuiltinErrors: opts.strictBuiltinErrors ?? false,
    ...(coverage ? { coverage } : {}),
    ...(opts.linker ? { linker: opts.linker } : {}),
  });
  return {
    ...(coverage ? { coverage } : {}),
    wasm,
    entrypoints: [...entrypoints, ...queries.map((q) => q.name)],
    // The planner lists every built-in it calls; those the runtime implements run in Wasm.
    builtins: policy.static.builtinFuncs.map((b) => b.name).filter((n) => !RUNTIME_BUILTINS.has(n)),
  };
}

/** `data.a.b`, `a.b` and `a/b` all name the entrypoint `a/b`, as `opa build -e` accepts. */
export function normalizeEntrypoint(path: string): string {
  let p = path.trim();
  if (p.startsWith("data.")) p = p.slice(5);
  else if (p.startsWith("data/")) p = p.slice(5);
  return p.includes("/") ? p : p.split(".").join("/");
}

function validateEntrypoint(e: string): void {
  if (e === "" || e.split("/").some((seg) => seg === "")) {
    throw new CapgateError("rego_compile_error", `invalid entrypoint ${JSON.stringify(e)}: expected a path such as capgate/token/issue`);
  }
}

/**
 * The entrypoints OPA takes from `# METADATA` blocks: a rule annotated
 * `entrypoint: true` contributes its path (package + the rule ref up to the
 * first variable); a package-scoped annotation contributes the package.
 */
export function annotatedEntrypoints(modules: ast.Module[]): string[] {
  const out: string[] = [];
  const add = (segs: string[]): void => {
    const p = segs.join("/");
    if (p !== "" && !out.includes(p)) out.push(p);
  };
  for (const m of modules) {
    const pkg = refStrings(m.package.path.slice(1));
    for (const a of m.annotations) if (a.entrypoint) add(pkg);
    for (const r of m.rules) {
      for (let rule: ast.Rule | undefined = r; rule; rule = rule.else) {
        if (!rule.annotations?.entrypoint) continue;
        if (rule.annotations.scope === "package" || rule.annotations.scope === "subpackages") add(pkg);
        else add([...pkg, ...refStrings(rule.head.ref)]);
      }
    }
  }
  return out;
}

/** The leading constant segments of a ref: `a.b[x].c` gives ["a", "b"]. */
function refStrings(terms: ast.Term[]): string[] {
  const out: string[] = [];
  for (const [i, t] of terms.entries()) {
    const v = t.value;
    if (i === 0 && v.kind === "var") out.push(v.name);
    else if (v.kind === "string") out.push(v.value);
    else break;
  }
  return out;
}
