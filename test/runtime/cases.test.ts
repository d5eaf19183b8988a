// Runs the data-driven runtime cases under test/cases/runtime/<topic>/*.yaml
// against the real runtime.wasm. Each case is either a built-in call
// (`builtin`, `args` as Rego value text) or a runtime operation (`op`), with the
// expected result as Rego value text (`want`, "undefined" for undefined) or an
// expected abort message fragment (`error`).
import { readFileSync } from "node:fs";
import { yamlFiles } from "../support/case-files.js";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { RUNTIME_BUILTINS } from "../../src/wasm-abi/index.js";
import { loadRuntime, RuntimeAbort, type Runtime } from "./runtime-harness.js";

const CASES = join(dirname(fileURLToPath(import.meta.url)), "..", "cases", "runtime");

interface Case {
  note: string;
  builtin?: string;
  op?: string;
  args?: string[];
  input?: string;
  want?: string | number | boolean;
  error?: string;
  strict?: boolean;
}

/** Call a built-in the way emitted code does: check for a pending error on 0. */
function callBuiltin(rt: Runtime, name: string, args: number[]): number {
  const bi = RUNTIME_BUILTINS.get(name);
  if (!bi) throw new Error(`no in-Wasm built-in ${name}`);
  if (bi.arity !== args.length) throw new Error(`${name} takes ${bi.arity} arguments, case gives ${args.length}`);
  const r = rt.call(bi.export, ...args);
  if (r === 0) {
    const file = rt.bytes("case.rego");
    rt.call("capgate_builtin_check", file.ptr, file.len, 3, 7);
  }
  return r;
}

function runOp(rt: Runtime, c: Case): string {
  const a = (c.args ?? []).map((t) => rt.value(t));
  const arg = (i: number): number => {
    const v = a[i];
    if (v === undefined) throw new Error(`case ${c.note}: missing argument ${i}`);
    return v;
  };
  switch (c.op) {
    case "json": {
      const v = rt.json(c.input ?? "");
      return v === 0 ? "undefined" : rt.jsonDump(v);
    }
    case "value": {
      const { ptr, len } = rt.bytes(c.input ?? "");
      const v = rt.call("opa_value_parse", ptr, len);
      return rt.dump(v);
    }
    case "value_json":
      return rt.jsonDump(rt.value(c.input ?? ""));
    case "compare":
      return String(rt.call("capgate_value_compare", arg(0), arg(1)));
    case "equal":
      return String(rt.call("capgate_value_equal", arg(0), arg(1)) === 1);
    case "hash_equal":
      return String(rt.call("capgate_value_hash", arg(0)) === rt.call("capgate_value_hash", arg(1)));
    case "get":
      return rt.dump(rt.call("capgate_value_get", arg(0), arg(1)));
    case "len":
      return rt.dump(rt.call("capgate_len", arg(0)));
    case "merge":
      return rt.dump(rt.call("capgate_object_merge", arg(0), arg(1)));
    case "insert_once": {
      const status = rt.call("capgate_object_insert_once", arg(0), arg(1), arg(2));
      return `${status} ${rt.dump(arg(0))}`;
    }
    case "upsert": {
      const before = rt.dump(arg(0));
      const r = rt.call("capgate_value_upsert", arg(0), arg(1), arg(2));
      if (rt.dump(arg(0)) !== before) return `base changed to ${rt.dump(arg(0))}`;
      return rt.dump(r);
    }
    case "add_path": {
      const status = rt.call("opa_value_add_path", arg(0), arg(1), arg(2));
      return `${status} ${rt.dump(arg(0))}`;
    }
    case "remove_path": {
      const status = rt.call("opa_value_remove_path", arg(0), arg(1));
      return `${status} ${rt.dump(arg(0))}`;
    }
    case "iter": {
      const v = arg(0);
      const n = rt.call("capgate_iter_count", v);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        parts.push(`${rt.dump(rt.call("capgate_iter_key", v, i))}=${rt.dump(rt.call("capgate_iter_value", v, i))}`);
      }
      return parts.join(" ");
    }
    case "next_key": {
      const v = arg(0);
      const keys: string[] = [];
      for (let k = rt.call("capgate_value_iter", v, 0); k !== 0; k = rt.call("capgate_value_iter", v, k)) {
        keys.push(rt.dump(k));
        if (keys.length > 1000) throw new Error("capgate_value_iter does not terminate");
      }
      return keys.join(" ");
    }
    case "runtime_error": {
      const file = rt.bytes(c.input ?? "");
      rt.call("capgate_runtime_error", file.ptr, file.len, 12, 5, Number(c.args?.[0] ?? 0));
      return "returned";
    }
    default:
      throw new Error(`case ${c.note}: unknown op ${String(c.op)}`);
  }
}

for (const file of yamlFiles(CASES)) {
  const doc = parseYaml(readFileSync(file, "utf8")) as { cases?: Case[] };
  if (!Array.isArray(doc?.cases)) throw new Error(`${file}: expected a top-level cases: list`);
  describe(relative(CASES, file), () => {
    let rt: Runtime;
    let base = 0;
    beforeAll(async () => {
      rt = await loadRuntime();
      base = rt.call("opa_heap_ptr_get");
    });
    for (const c of doc.cases ?? []) {
      it(c.note, () => {
        // Every case starts from the same heap, as each SDK evaluation does.
        rt.call("opa_heap_ptr_set", base);
        rt.exports.capgate_builtin_strict.value = c.strict === false ? 0 : 1;
        let got: string;
        try {
          got = c.builtin !== undefined
            ? rt.dump(callBuiltin(rt, c.builtin, (c.args ?? []).map((t) => rt.value(t))))
            : runOp(rt, c);
        } catch (e) {
          if (!(e instanceof RuntimeAbort)) throw e;
          if (c.error === undefined) throw new Error(`unexpected abort: ${e.message}`);
          expect(e.message).toContain(c.error);
          return;
        }
        if (c.error !== undefined) throw new Error(`expected error "${c.error}", got ${got}`);
        expect(got).toBe(String(c.want));
      });
    }
  });
}
