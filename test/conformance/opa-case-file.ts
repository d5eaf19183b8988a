// Reading OPA's own evaluation cases (../shared/conformance/opa, OPA's
// v1/test/cases/testdata/v1 format) and its Wasm exceptions list. Expected
// rows, data and input keep exact numbers (json-values.ts); everything else is
// read as plain YAML.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import YAML, { isMap, isScalar, isSeq } from "yaml";
import { fromYamlNode, parseYamlExact, type J } from "./json-values.js";

export interface OpaCase {
  /** `topic/note`, OPA's key for the case. */
  note: string;
  query: string;
  modules: string[];
  data?: J;
  input?: J;
  /** The input as Rego text (it may hold sets). */
  input_term?: string;
  want_result?: Array<{ [v: string]: J }>;
  want_defined?: boolean;
  want_error_code?: string;
  want_error?: string;
  strict_error?: boolean;
  sort_bindings?: boolean;
}

export interface OpaCaseFile {
  /** Path relative to the suite root, `/` separated. */
  file: string;
  /** The topic (the folder), the row of the per-topic table. */
  folder: string;
  cases: OpaCase[];
}

const TEXT_FIELDS = ["note", "query", "input_term", "want_error_code", "want_error"] as const;
const FLAG_FIELDS = ["want_defined", "strict_error", "sort_bindings"] as const;

function readCase(n: unknown, where: string): OpaCase {
  if (!isMap(n)) throw new Error(`${where}: a case is not a mapping`);
  const out: Record<string, unknown> = { modules: [] };
  for (const p of n.items) {
    const k = isScalar(p.key) ? String(p.key.value) : "";
    const v = p.value;
    if ((TEXT_FIELDS as readonly string[]).includes(k)) out[k] = isScalar(v) ? String(v.value) : undefined;
    else if ((FLAG_FIELDS as readonly string[]).includes(k)) out[k] = isScalar(v) && v.value === true;
    else if (k === "modules") out[k] = isSeq(v) ? v.items.map((m) => (isScalar(m) ? String(m.value) : "")) : [];
    else if (k === "data" || k === "input") out[k] = fromYamlNode(v);
    else if (k === "want_result") out[k] = isSeq(v) ? v.items.map((r) => fromYamlNode(r)) : [];
  }
  if (typeof out["note"] !== "string") throw new Error(`${where}: a case has no note`);
  if (typeof out["query"] !== "string") throw new Error(`${where}: case ${out["note"]} has no query`);
  return out as unknown as OpaCase;
}

export function readOpaCaseFiles(root: string): OpaCaseFile[] {
  const out: OpaCaseFile[] = [];
  for (const topic of readdirSync(root).sort()) {
    const dir = join(root, topic);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const file = `${topic}/${name}`;
      const cases: OpaCase[] = [];
      for (const doc of YAML.parseAllDocuments(readFileSync(join(dir, name), "utf8"), { keepSourceTokens: true, uniqueKeys: false })) {
        if (!("contents" in doc)) continue;
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message.split("\n")[0]}`);
        const list = isMap(doc.contents) ? doc.contents.get("cases", true) : undefined;
        if (!isSeq(list)) throw new Error(`${file}: expected a top-level "cases:" list`);
        list.items.forEach((c, i) => cases.push(readCase(c, `${file} case ${i + 1}`)));
      }
      out.push({ file, folder: topic, cases });
    }
  }
  return out;
}

/** OPA's Wasm exceptions (`topic/note: reason`). */
export function readWasmExceptions(path: string): Map<string, string> {
  const doc = parseYamlExact(readFileSync(path, "utf8")).toJS() as Record<string, unknown> | null;
  return new Map(Object.entries(doc ?? {}).map(([k, v]) => [k, String(v)]));
}
