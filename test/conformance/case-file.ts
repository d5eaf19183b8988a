// Reading conformance case files (YAML, `cases:`) into typed cases. Files from
// the regorus suite were written for a YAML reader that accepts flow
// collections indented less than their parent key; when the strict YAML 1.2
// parse fails, such continuation lines are re-indented and the parse retried.
import { readFileSync } from "node:fs";
import { withTypedWant, yamlFiles } from "../support/case-files.js";
import { relative, sep } from "node:path";
import YAML from "yaml";

export interface RawCase {
  note: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  query: string;
  want_result?: unknown;
  error?: string;
  no_result?: boolean;
  want_prints?: string[];
  strict?: boolean;
  skip?: boolean;
  sort_bindings?: boolean;
  /** capgate's own cases: the Rego version of the modules (default set by the runner). */
  rego_version?: 0 | 1;
}

export interface CaseFile {
  /** Path relative to the suite root, with `/` separators. */
  file: string;
  /** The folder shown in the per-folder table ("." for files at the root). */
  folder: string;
  cases: RawCase[];
}

/** Re-indents lines inside a flow collection (`key: [` … `]`) that sit at or left of their key. */
export function relaxFlowIndent(text: string): string {
  const lines = text.split("\n");
  let depth = 0;
  let keyIndent = 0;
  let blockScalarIndent: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    if (blockScalarIndent !== undefined) {
      if (line.trim() === "" || indent > blockScalarIndent) continue;
      blockScalarIndent = undefined;
    }
    if (depth > 0) {
      if (line.trim() !== "" && indent <= keyIndent) lines[i] = " ".repeat(keyIndent + 2) + line.trimStart();
    } else {
      if (/^\s*(- )?[^#]*:\s*[|>][-+0-9]*\s*$/.test(line) || /^\s*- [|>][-+0-9]*\s*$/.test(line)) {
        blockScalarIndent = indent;
        continue;
      }
      if (!/:\s*[[{]|^\s*- [[{]/.test(line)) continue;
      keyIndent = indent;
    }
    depth += flowDelta(line);
    if (depth < 0) depth = 0;
  }
  return lines.join("\n");
}

function flowDelta(line: string): number {
  let d = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || line[i - 1] === " ")) break;
    else if (c === "[" || c === "{") d++;
    else if (c === "]" || c === "}") d--;
  }
  return d;
}

/** Expected objects may have keys of any type (`7:`, `null:`); Maps keep them. */
const TYPED_KEYS = { mapAsMap: true } as const;

export function parseCaseText(text: string, file: string): RawCase[] {
  let doc: unknown;
  try {
    doc = withTypedWant(YAML.parse(text, TYPED_KEYS));
  } catch (strictError) {
    try {
      doc = withTypedWant(YAML.parse(relaxFlowIndent(text), TYPED_KEYS));
    } catch {
      throw new Error(`${file}: ${(strictError as Error).message.split("\n")[0]}`);
    }
  }
  const cases = (doc as { cases?: unknown } | null)?.cases;
  if (!Array.isArray(cases)) throw new Error(`${file}: expected a top-level "cases:" list`);
  for (const [i, c] of cases.entries()) {
    if (!c || typeof c !== "object") throw new Error(`${file}: case ${i + 1} is not a mapping`);
    const r = c as Partial<RawCase>;
    if (typeof r.note !== "string") throw new Error(`${file}: case ${i + 1} has no note`);
    if (typeof r.query !== "string") throw new Error(`${file}: case ${JSON.stringify(r.note)} has no query`);
  }
  return cases as RawCase[];
}

export function readCaseFiles(root: string): CaseFile[] {
  return yamlFiles(root).map((p) => {
    const file = relative(root, p).split(sep).join("/");
    const slash = file.lastIndexOf("/");
    return { file, folder: slash < 0 ? "." : file.slice(0, slash), cases: parseCaseText(readFileSync(p, "utf8"), file) };
  });
}
