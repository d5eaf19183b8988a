// The parser stage: Rego source text → `ast.Module` (parse) or `ast.Query`
// (parseQuery). v1 syntax by default; `regoVersion: 0` accepts v0 syntax, where
// `if`, `contains`, `every` and `in` are keywords only after `import
// future.keywords[.x]` or `import rego.v1`. Errors are `rego_parse_error`
// CapgateErrors with file:row:col; a module with several broken statements
// reports each of them (CapgateErrors) instead of only the first.

import { CapgateError, CapgateErrors } from "../../errors.js";
import type { Location, Module, Package, Query, RegoVersion, Rule } from "../ast/types.js";
import { attachAnnotations, type AttachTarget } from "./annotations.js";
import { tokenize } from "./lexer.js";
import { ParseFail, Parser, type Statement } from "./parser.js";

export interface ParseOptions {
  /** The file name used in locations and error messages. */
  file: string;
  /** 1 (default) for Rego v1 syntax, 0 for v0 (`--v0`). */
  regoVersion?: RegoVersion;
}

export interface ParseQueryOptions {
  file?: string;
  regoVersion?: RegoVersion;
  /** In v0, treat `if`, `contains`, `every`, `in` as keywords (v1 always does). */
  allFutureKeywords?: boolean;
}

/** Stop collecting after this many errors in one file: later ones are mostly echoes. */
const MAX_ERRORS = 10;

function toError(p: Parser, f: ParseFail, toks: ReturnType<typeof tokenize>["tokens"]): CapgateError {
  const t = toks[f.at] ?? toks[toks.length - 1];
  const location: Location = f.location ?? { file: p.file, row: t?.row ?? 1, col: t?.col ?? 1 };
  return new CapgateError("rego_parse_error", f.message, { location });
}

function throwAll(errors: CapgateError[]): never {
  errors.sort((a, b) => (a.location?.row ?? 0) - (b.location?.row ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0));
  if (errors.length === 1) throw errors[0] as CapgateError;
  throw new CapgateErrors(errors);
}

/** Parse one Rego module. Throws CapgateError (one error) or CapgateErrors (several). */
export function parse(source: string, opts: ParseOptions): Module {
  if (typeof source !== "string") {
    throw new CapgateError("rego_parse_error", "policy source must be text", { location: { file: opts.file, row: 1, col: 1 } });
  }
  const version: RegoVersion = opts.regoVersion ?? 1;
  const { tokens, comments } = tokenize(source);
  const p = new Parser(tokens, opts.file, version);
  const errors: CapgateError[] = [];
  const stmts: Statement[] = [];

  while (p.kind() !== "eof" && errors.length < MAX_ERRORS) {
    const start = p.pos;
    try {
      stmts.push(...p.parseStatement());
    } catch (e) {
      if (e instanceof RangeError) {
        // The depth limit should prevent this; never let a stack overflow escape as a crash.
        errors.push(new CapgateError("rego_parse_error", "policy nested too deeply to parse", { location: { file: opts.file, row: p.tok.row, col: p.tok.col } }));
        break;
      }
      if (!(e instanceof ParseFail)) throw e;
      errors.push(toError(p, e, tokens));
      // Resume at the next line that starts in column 1: the usual start of a statement.
      p.pos = Math.max(e.at, start);
      const here = p.tok;
      if (!(p.pos > start && here.nl && here.col === 1 && here.kind === "ident")) {
        p.next();
        while (p.kind() !== "eof" && !(p.tok.nl && p.tok.col === 1)) p.next();
      }
    }
  }

  const fileStart: Location = { file: opts.file, row: 1, col: 1 };
  const first = stmts[0];
  let pkg: Package | undefined;
  if (first?.kind === "package") pkg = first.node;
  else if (first && errors.length === 0) {
    errors.push(new CapgateError("rego_parse_error", "package expected: a module must start with `package <name>`", { location: first.node.location }));
  } else if (!first && errors.length === 0) {
    errors.push(new CapgateError("rego_parse_error", "empty module: expected `package <name>`", { location: fileStart }));
  }

  const module: Module = {
    file: opts.file,
    regoVersion: version,
    package: pkg ?? { path: [], location: fileStart },
    imports: [],
    rules: [],
    annotations: [],
    comments: comments.map((c) => ({ text: c.text, location: { file: opts.file, row: c.row, col: c.col } })),
  };
  const targets: AttachTarget[] = [];
  for (const [i, s] of stmts.entries()) {
    if (s.kind === "package") {
      if (i > 0) errors.push(new CapgateError("rego_parse_error", "unexpected package: a module has exactly one package line, at the top", { location: s.node.location }));
      targets.push({ kind: "package", row: s.node.location.row });
    } else if (s.kind === "import") {
      module.imports.push(s.node);
      targets.push({ kind: "import", row: s.node.location.row });
    } else {
      module.rules.push(s.node);
      targets.push({ kind: "rule", row: s.node.location.row, rule: s.node });
    }
  }

  if (version === 1 || p.regoV1Import) {
    module.regoVersion = 1;
    for (const rule of module.rules) {
      for (let r: Rule | undefined = rule; r; r = r.else) errors.push(...checkV1Rule(p, r, version));
    }
  }
  if (errors.length === 0) errors.push(...attachAnnotations(module, comments, targets));
  if (errors.length > 0) throwAll(errors);
  return module;
}

/** The rule checks of Rego v1 (OPA's CheckRegoV1), which also apply to v0 modules importing rego.v1. */
function checkV1Rule(p: Parser, rule: Rule, version: RegoVersion): CapgateError[] {
  const m = p.ruleMeta.get(rule);
  if (!m) return [];
  const errs: CapgateError[] = [];
  const what = rule.head.args ? "function" : "rule";
  const why = version === 1 ? "v0 syntax needs --v0" : "required by `import rego.v1`";
  const location = rule.location;
  if (m.generatedBody && m.generatedValue) {
    errs.push(new CapgateError("rego_parse_error", `${what} must have value assignment and/or body declaration`, { location }));
  }
  if (!m.generatedBody && !m.hasIf && !rule.default) {
    errs.push(new CapgateError("rego_parse_error", `\`if\` keyword is required before ${what} body (${why}, or write \`if\`)`, { location }));
  }
  if (rule.head.kind === "multi" && !m.hasContains) {
    errs.push(new CapgateError("rego_parse_error", `\`contains\` keyword is required for partial set rules (write \`p contains x if { ... }\`; ${why})`, { location }));
  }
  return errs;
}

/** Parse a query such as `data.x.allow` or `x := 1; y := x + 1`. */
export function parseQuery(source: string, opts: ParseQueryOptions = {}): Query {
  const version: RegoVersion = opts.regoVersion ?? 1;
  const file = opts.file ?? "query";
  const { tokens } = tokenize(source);
  const p = new Parser(tokens, file, version, opts.allFutureKeywords ?? false);
  try {
    return { body: p.parseTopQuery(), regoVersion: version };
  } catch (e) {
    if (e instanceof ParseFail) throw toError(p, e, tokens);
    if (e instanceof RangeError) throw new CapgateError("rego_parse_error", "query nested too deeply to parse", { location: { file, row: 1, col: 1 } });
    throw e;
  }
}

/** Parse several files, reporting the errors of all of them together. */
export function parseModules(files: ReadonlyArray<{ file: string; source: string }>, opts: { regoVersion?: RegoVersion } = {}): Module[] {
  const modules: Module[] = [];
  const errors: CapgateError[] = [];
  for (const f of files) {
    try {
      modules.push(parse(f.source, opts.regoVersion === undefined ? { file: f.file } : { file: f.file, regoVersion: opts.regoVersion }));
    } catch (e) {
      if (e instanceof CapgateErrors) errors.push(...e.errors);
      else if (e instanceof CapgateError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length === 1) throw errors[0] as CapgateError;
  if (errors.length > 1) throw new CapgateErrors(errors);
  return modules;
}
