// `serve --check` (preflight) for the new bundle sources: an AuthZEN-only
// bundle is accepted as serving would accept it, and a bundle service is
// named rather than reported missing.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import { loadConfig } from "../../src/server/config.js";
import { preflight } from "../../src/server/preflight.js";
import { tempDir } from "../server/helpers.js";

const tmp = tempDir("capgate-authzen-check-");
afterAll(() => tmp.remove());

it("accepts an AuthZEN-only bundle and names a bundle service", async () => {
  const m = compilePolicy({ sources: [{ file: "p.rego", text: "package authzen\n\ndecision := true\n" }], entrypoints: ["authzen/decision"] });
  const bundle = join(tmp.dir, "a.tar.gz");
  writeFileSync(bundle, await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: "c1" }));
  const file = (await preflight(loadConfig({ flags: { bundle } }))).find((f) => f.part === "bundle");
  expect(file).toMatchObject({ level: "ok", message: `${bundle}: revision c1, entrypoints authzen/decision` });
  const service = (await preflight(loadConfig({ flags: { bundle_service: { url: "http://127.0.0.1:9/b", resource: "x.tar.gz" } } }))).find((f) => f.part === "bundle");
  expect(service).toMatchObject({ level: "ok", message: "from the bundle service http://127.0.0.1:9/b (x.tar.gz), downloaded when serving" });
});
