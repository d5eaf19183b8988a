// `# METADATA` comment blocks: YAML documents in comments that annotate the
// package or rule right below them (scope, entrypoint, title, ...). This file
// finds the blocks among a module's comments, parses the YAML with the `yaml`
// package, and attaches each block to its statement as OPA does: the first
// statement below the block; scope defaults to `rule` (or `document` for an
// entrypoint) before a rule and `package` before the package.

import { parseDocument } from "yaml";
import { CapgateError } from "../../errors.js";
import type { Annotations, Location, Module, Rule } from "../ast/types.js";
import type { LexComment } from "./lexer.js";

interface Block {
  /** The `# METADATA` comment and the comment lines that follow it. */
  comments: LexComment[];
  location: Location;
}

/** A statement annotations can attach to, with its first row. */
export interface AttachTarget {
  kind: "package" | "import" | "rule";
  row: number;
  rule?: Rule;
}

const SCOPES = new Set(["rule", "document", "package", "subpackages"]);

function findBlocks(comments: LexComment[], file: string): Block[] {
  const blocks: Block[] = [];
  let curr: Block | undefined;
  for (let i = 0; i < comments.length; i++) {
    const c = comments[i] as LexComment;
    if (curr) {
      const prev = comments[i - 1] as LexComment;
      if (c.row === prev.row + 1 && c.col === 1) {
        curr.comments.push(c);
        continue;
      }
      curr = undefined;
    }
    if (c.text.trim().startsWith("METADATA")) {
      curr = { comments: [c], location: { file, row: c.row, col: c.col } };
      blocks.push(curr);
    }
  }
  return blocks;
}

function parseBlock(b: Block): Omit<Annotations, "scope"> & { scope?: string } {
  const lines = b.comments.slice(1).map((c) => (c.text.startsWith(" ") ? c.text.slice(1) : c.text));
  const text = lines.join("\n") + "\n";
  if (text.trim() === "") throw new CapgateError("rego_parse_error", "expected METADATA block, found whitespace", { location: b.location });
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = err?.linePos?.[0]?.line;
    const c = line !== undefined ? b.comments[Math.min(line, b.comments.length - 1)] : undefined;
    const location = c ? { file: b.location.file, row: c.row, col: c.col } : b.location;
    const msg = (err?.message ?? "invalid YAML").split("\n")[0];
    throw new CapgateError("rego_parse_error", `invalid METADATA YAML: ${msg}`, { location });
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new CapgateError("rego_parse_error", "METADATA block must be a YAML mapping (e.g. `# title: ...`)", { location: b.location });
  }
  const obj = raw as Record<string, unknown>;
  const out: Omit<Annotations, "scope"> & { scope?: string } = { entrypoint: false, raw: obj, location: b.location };
  for (const key of ["scope", "title", "description"] as const) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw new CapgateError("rego_parse_error", `METADATA ${key} must be a string`, { location: b.location });
    out[key] = v;
  }
  const ep = obj["entrypoint"];
  if (ep !== undefined && ep !== null) {
    if (typeof ep !== "boolean") throw new CapgateError("rego_parse_error", "METADATA entrypoint must be true or false", { location: b.location });
    out.entrypoint = ep;
  }
  return out;
}

/** The rule's ref up to its first non-constant part, printed, to group the rules of one document. */
function groundPrefix(rule: Rule): string {
  const parts: string[] = [];
  for (const [i, t] of rule.head.ref.entries()) {
    const k = t.value.kind;
    const constant = i === 0 || k === "string" || k === "number" || k === "boolean" || k === "null";
    if (!constant) break;
    parts.push(JSON.stringify(t.value));
  }
  return parts.join("/");
}

/**
 * Parse the METADATA blocks among `comments` and attach them to `module`
 * (package-level ones to `module.annotations`, rule-level ones to each rule).
 * Returns the errors found; the caller decides how to throw them.
 */
export function attachAnnotations(module: Module, comments: LexComment[], targets: AttachTarget[]): CapgateError[] {
  const errors: CapgateError[] = [];
  const blocks = findBlocks(comments, module.file);
  const documentScoped: Array<{ a: Annotations; rule: Rule }> = [];
  for (const b of blocks) {
    let parsed: ReturnType<typeof parseBlock>;
    try {
      parsed = parseBlock(b);
    } catch (e) {
      if (e instanceof CapgateError) {
        errors.push(e);
        continue;
      }
      throw e;
    }
    const target = targets.find((t) => t.row > b.location.row);
    let scope = parsed.scope;
    if (scope === undefined) {
      if (target?.kind === "rule") scope = parsed.entrypoint ? "document" : "rule";
      else if (target?.kind === "package") scope = "package";
      else if (target?.kind === "import") scope = "import";
    }
    if (scope === undefined || !SCOPES.has(scope)) {
      const what = scope === "import" ? "annotations cannot be applied to an import" : scope === undefined ? "annotation has no rule or package below it" : `invalid annotation scope '${scope}' (use rule, document, package or subpackages)`;
      errors.push(new CapgateError("rego_parse_error", what, { location: b.location }));
      continue;
    }
    const a: Annotations = { ...parsed, scope: scope as Annotations["scope"] };
    const have = target ? ` (have ${target.kind})` : "";
    if (scope === "rule" || scope === "document") {
      if (target?.kind !== "rule" || !target.rule) {
        errors.push(new CapgateError("rego_parse_error", `annotation scope '${scope}' must be applied to rule${have}`, { location: b.location }));
        continue;
      }
      if (scope === "rule") target.rule.annotations = a;
      else documentScoped.push({ a, rule: target.rule });
    } else {
      if (target?.kind !== "package") {
        errors.push(new CapgateError("rego_parse_error", `annotation scope '${scope}' must be applied to package${have}`, { location: b.location }));
        continue;
      }
      if (a.entrypoint && scope === "subpackages") {
        errors.push(new CapgateError("rego_parse_error", "annotation entrypoint cannot have scope 'subpackages'", { location: b.location }));
        continue;
      }
      module.annotations.push(a);
    }
  }
  // A document-scoped block speaks for every rule defining that document; a rule's
  // own rule-scoped block takes precedence.
  for (const { a, rule } of documentScoped) {
    const key = groundPrefix(rule);
    for (const r of module.rules) {
      if (r.annotations === undefined && groundPrefix(r) === key) r.annotations = a;
    }
  }
  return errors;
}
