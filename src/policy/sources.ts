// Collecting what the policy tools read: `.rego` files from FILES|DIRS (in a
// stable order, hidden folders and node_modules skipped) and JSON or YAML
// documents for --data / --input, each refused with a one-line error.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import type { PolicySource } from "../compiler/index.js";
import { CapgateError } from "../errors.js";

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
