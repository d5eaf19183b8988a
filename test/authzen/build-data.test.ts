// `capgate policy build DIR`'s data files, as `opa build` reads them:
// data.json / data.yaml under DIR land at their directory's path, beside the
// --data document at the root; hidden folders are skipped; a key given twice is
// refused in one line naming the file.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { collectData } from "../../src/policy/tools/sources.js";
import { tempDir } from "../server/helpers.js";

const tmp = tempDir("capgate-build-data-");
afterAll(() => tmp.remove());

function tree(root: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

it("places each data file at its directory's path, beside --data", () => {
  const root = tree(join(tmp.dir, "ok"), {
    "p.rego": "package x\n",
    "data.json": '{"top": 1}',
    "users/data.json": '{"alice": {"roles": ["admin"]}}',
    "org/teams/data.yaml": "red:\n  size: 3\n",
    ".hidden/data.json": '{"never": true}',
  });
  expect(collectData([root], { extra: true })).toEqual({
    extra: true,
    top: 1,
    users: { alice: { roles: ["admin"] } },
    org: { teams: { red: { size: 3 } } },
  });
  expect(collectData([join(root, "p.rego")])).toBeUndefined();
});

it("refuses a key two documents give, naming the file", () => {
  const root = tree(join(tmp.dir, "clash"), { "data.json": '{"users": {"bob": {}}}', "users/data.json": '{"alice": {}}' });
  expect(() => collectData([root])).not.toThrow();
  const clash = tree(join(tmp.dir, "clash2"), { "data.json": '{"users": {"alice": 1}}', "users/data.json": '{"alice": {}}' });
  expect(() => collectData([clash])).toThrow(`data file ${join(clash, "users/data.json")}: redefines data at users/alice`);
  expect(() => collectData([clash], { users: 5 })).toThrow(/data file .*data\.json: redefines data at users$/);
});
