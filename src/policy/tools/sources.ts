// Collecting what the policy tools read: `.rego` files from FILES|DIRS (in a
// stable order, hidden folders and node_modules skipped), the data files found
// in those directories (as `opa build` loads them), and JSON or YAML documents
// for --data / --input, each refused with a one-line error.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import YAML from "yaml";
import type { PolicySource } from "../../compiler/index.js";
import { CapgateError } from "../../errors.js";

export function collectRegoFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".rego")) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CapgateError("invalid_input", `${p}: no such file or directory`);
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return [...new Set(out)];
}

export function readSources(paths: string[]): PolicySource[] {
  return collectRegoFiles(paths).map((file) => {
    try {
      return { file, text: readFileSync(file, "utf8") };
    } catch (e) {
      throw new CapgateError("invalid_input", `${file}: cannot read: ${(e as Error).message.split("\n")[0]}`);
    }
  });
}

/** Reads a JSON or YAML document (by extension; JSON when unsure). */
export function readDocument(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CapgateError("invalid_input", `${what} ${path}: cannot read: ${(e as Error).message.split("\n")[0]}`);
  }
  if (/\.ya?ml$/i.test(path)) {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length) throw new CapgateError("invalid_input", `${what} ${path}: invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
    return doc.toJS() as unknown;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CapgateError("invalid_input", `${what} ${path}: invalid JSON: ${(e as Error).message.split("\n")[0]}`);
  }
}

export function readDataDocument(path: string): Record<string, unknown> {
  const v = readDocument(path, "data file");
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new CapgateError("invalid_input", `data file ${path}: must hold an object at the top level`);
  }
  return v as Record<string, unknown>;
}

/** The names `opa build` reads as data documents inside a directory. */
const DATA_FILE = /^data\.(json|ya?ml)$/;

/**
 * The data documents under DIRS, each placed at its directory's path below the
 * directory given (`users/data.json` → data.users), merged with the --data
 * document at the root, as `opa build` does; two documents giving the same key
 * are refused. Undefined when there is none.
 */
export function collectData(paths: string[], extra?: Record<string, unknown>): Record<string, unknown> | undefined {
  const found: Array<{ file: string; at: string[] }> = [];
  const walk = (root: string, dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(root, p);
      else if (DATA_FILE.test(name)) found.push({ file: p, at: relative(root, dir).split(sep).filter((s) => s !== "") });
    }
  };
  for (const p of paths) if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p, p);
  if (found.length === 0) return extra;
  const data: Record<string, unknown> = {};
  if (extra !== undefined) mergeData(data, [], extra, "--data");
  for (const { file, at } of found) mergeData(data, at, readDataDocument(file), file);
  return data;
}

function mergeData(into: Record<string, unknown>, at: string[], doc: Record<string, unknown>, file: string): void {
  let node = into;
  for (const seg of at) {
    const next = node[seg] ?? (node[seg] = {});
    if (typeof next !== "object" || next === null || Array.isArray(next))
      throw new CapgateError("invalid_input", `data file ${file}: conflicts with data already at ${at.join("/")}`);
    node = next as Record<string, unknown>;
  }
  for (const [k, v] of Object.entries(doc)) {
    if (k in node) throw new CapgateError("invalid_input", `data file ${file}: redefines data at ${[...at, k].join("/")}`);
    node[k] = v;
  }
}
