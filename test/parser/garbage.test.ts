// Garbage in, one-line parse errors out: seeded random edits of the parser case
// sources must either parse or fail with rego_parse_error CapgateErrors that carry
// a location and a single-line message; never another exception, never a hang.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { parse } from "../../src/compiler/parser/index.js";
import { CapgateError, CapgateErrors } from "../../src/errors.js";

const casesDir = join(import.meta.dirname, "..", "cases", "parser");
const PIECES = ["{", "}", "[", "]", "(", ")", ",", ";", ":=", "=", "|", "if", "else", "contains", "some", "every", "in", "not", "with", "as", "\n", " ", '"', "`", "#", "-", ".", "0", "x", "default", "import", "package", "{}", "\\u", "@", "$", "é"];

function sources(): string[] {
  const out: string[] = [];
  for (const topic of readdirSync(casesDir)) {
    for (const f of readdirSync(join(casesDir, topic))) {
      const doc = parseYaml(readFileSync(join(casesDir, topic, f), "utf8")) as { cases: Array<{ rego?: string }> };
      for (const c of doc.cases) if (c.rego) out.push(c.rego);
    }
  }
  return out;
}

test("mutated sources parse or fail with located one-line rego_parse_errors", () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const problems: string[] = [];
  let failures = 0;
  const srcs = sources();
  expect(srcs.length).toBeGreaterThan(50);
  for (let round = 0; round < 10; round++) {
    for (const s of srcs) {
      let m = s;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(rnd() * (m.length + 1));
        m = rnd() < 0.4 ? m.slice(0, at) + m.slice(at + 1 + Math.floor(rnd() * 5)) : m.slice(0, at) + PIECES[Math.floor(rnd() * PIECES.length)] + m.slice(at);
      }
      for (const regoVersion of [0, 1] as const) {
        try {
          parse(m, { file: "m.rego", regoVersion });
        } catch (e) {
          failures++;
          const errs = e instanceof CapgateErrors ? e.errors : e instanceof CapgateError ? [e] : undefined;
          if (!errs) {
            problems.push(`${String(e)} for ${JSON.stringify(m)}`);
            continue;
          }
          for (const x of errs) {
            if (x.code !== "rego_parse_error" || !x.location || x.location.file !== "m.rego" || x.message.includes("\n")) {
              problems.push(`${x.format()} for ${JSON.stringify(m)}`);
            }
          }
        }
      }
    }
  }
  expect(failures).toBeGreaterThan(100);
  expect(problems).toEqual([]);
});
