// capgate's own end-to-end policy cases (test/cases/e2e/<topic>/*.yaml), in
// the conformance format and through the same runner, Rego v1 by default.
// Unlike the external suite, every case here must pass.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCaseFiles } from "./case-file.js";
import { runCase } from "./runner.js";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "../cases/e2e");

for (const file of readCaseFiles(root)) {
  describe(`e2e: ${file.file}`, () => {
    for (const c of file.cases) {
      it(c.note, async () => {
        const o = await runCase(file, c, { regoVersion: () => 1 });
        expect(o.status, o.detail).toBe("passed");
      });
    }
  });
}
