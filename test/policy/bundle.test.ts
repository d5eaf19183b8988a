// Bundle writing and reading: round trips, OPA-style archives (made with the
// tar package from real files, as `opa build` lays them out), and every way a
// bundle can be broken answered with a one-line bundle_error.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { create } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { CapgateError } from "../../src/errors.js";
import { normalizeEntryPath, readBundle, writeBundle } from "../../src/policy/bundle.js";
import { parseManifest } from "../../src/policy/manifest.js";

const work = mkdtempSync(join(tmpdir(), "capgate-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bytes that start like a Wasm module; the reader checks the magic, not the contents. */
const fakeWasm = (n: number): Uint8Array => {
  const b = new Uint8Array(8 + n);
  b.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  for (let i = 0; i < n; i++) b[8 + i] = (i * 37 + 11) & 0xff;
  return b;
};

let dirCount = 0;
/** Makes a .tar.gz from files on disk; `prefix` mimics how different tools name entries. */
async function tarOf(files: Record<string, string | Uint8Array>, prefix: "./" | "" = "./"): Promise<Uint8Array> {
  const dir = join(work, `b${dirCount++}`);
  for (const [p, content] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, content);
  }
  const out = join(work, `b${dirCount++}.tar.gz`);
  await create({ gzip: true, file: out, cwd: dir, portable: true }, Object.keys(files).map((p) => prefix + p));
  return readFileSync(out);
}

async function bundleError(bytes: Uint8Array): Promise<CapgateError> {
  try {
    await readBundle(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CapgateError);
    const err = e as CapgateError;
    expect(err.code).toBe("bundle_error");
    expect(err.message).not.toContain("\n");
    return err;
  }
  throw new Error("expected readBundle to fail");
}

describe("bundle write → read", () => {
  it("round-trips module bytes, manifest and data", async () => {
    const wasm = fakeWasm(70_000);
    const data = { tenants: { t1: { max_ttl: 3600 } }, list: [1, "a", null] };
    const bytes = await writeBundle({ wasm, entrypoints: ["capgate/token/issue", "capgate/mfa/requirement"], data, revision: "r42" });
    const b = await readBundle(bytes);
    expect(b.wasm).toEqual(wasm);
    expect(b.data).toEqual(data);
    expect(b.manifest.revision).toBe("r42");
    expect(b.manifest.roots).toEqual([""]);
    expect(b.manifest.wasm).toEqual([
      { entrypoint: "capgate/token/issue", module: "/policy.wasm" },
      { entrypoint: "capgate/mfa/requirement", module: "/policy.wasm" },
    ]);
  });

  it("writes OPA's layout: absolute entry names /data.json, /policy.wasm, /.manifest", async () => {
    const bytes = await writeBundle({ wasm: fakeWasm(4), entrypoints: ["a/b"] });
    const { Parser } = await import("tar");
    const names: string[] = [];
    await new Promise<void>((resolve) => {
      const p = new Parser({ onReadEntry: (e) => (names.push(e.path), e.resume()) });
      p.on("end", () => resolve());
      p.end(Buffer.from(bytes));
    });
    expect(names).toEqual(["/data.json", "/policy.wasm", "/.manifest"]);
  });

  it("is deterministic: the same input gives the same bytes", async () => {
    const a = await writeBundle({ wasm: fakeWasm(100), entrypoints: ["x"], data: { k: 1 } });
    const b = await writeBundle({ wasm: fakeWasm(100), entrypoints: ["x"], data: { k: 1 } });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describe("reading bundles made by other tools", () => {
  const manifest = JSON.stringify({ revision: "", roots: [""], wasm: [{ entrypoint: "example/allow", module: "/policy.wasm" }], metadata: { by: "opa" } });

  it("accepts ./-prefixed entries and ignores extra files", async () => {
    const bytes = await tarOf({ "policy.wasm": fakeWasm(10), ".manifest": manifest, "data.json": '{"a":1}', "example/policy.rego": "package example", ".signatures.json": "{}" });
    const b = await readBundle(bytes);
    expect(b.manifest.wasm[0]!.entrypoint).toBe("example/allow");
    expect(b.manifest.metadata).toEqual({ by: "opa" });
    expect(b.data).toEqual({ a: 1 });
  });

  it("accepts unprefixed entries and a bundle without data.json or manifest", async () => {
    const b = await readBundle(await tarOf({ "policy.wasm": fakeWasm(3) }, ""));
    expect(b.data).toEqual({});
    expect(b.manifest.wasm).toEqual([]);
  });

  it("merges nested data.json files at their directory", async () => {
    const b = await readBundle(await tarOf({ "policy.wasm": fakeWasm(3), "data.json": '{"top":true}', "tenants/t1/data.json": '{"ttl":60}' }));
    expect(b.data).toEqual({ top: true, tenants: { t1: { ttl: 60 } } });
  });

  it("finds the module the manifest names", async () => {
    const m = JSON.stringify({ wasm: [{ entrypoint: "x", module: "/opt/p.wasm" }] });
    const b = await readBundle(await tarOf({ "opt/p.wasm": fakeWasm(5), ".manifest": m }));
    expect(b.wasm.length).toBe(13);
  });

  it("normalises entry paths", () => {
    expect(normalizeEntryPath("./a/data.json")).toBe("a/data.json");
    expect(normalizeEntryPath("/policy.wasm")).toBe("policy.wasm");
    expect(normalizeEntryPath(".manifest")).toBe(".manifest");
  });
});

describe("broken bundles", () => {
  it("not gzip", async () => {
    expect((await bundleError(new TextEncoder().encode("hello"))).message).toContain("no gzip header");
  });

  it("gzip but not tar", async () => {
    const e = await bundleError(gzipSync(Buffer.alloc(700, 7)));
    expect(e.message).toMatch(/not a readable|no \/policy.wasm/);
  });

  it("an archive that inflates more than 1000-fold (tar's own guard)", async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 });
    expect((await bundleError(bomb)).message).toBe("not a readable .tar.gz bundle: it inflates more than 1000-fold");
  });

  it("truncated archive", async () => {
    const good = await writeBundle({ wasm: fakeWasm(50_000), entrypoints: ["x"] });
    await bundleError(good.slice(0, Math.floor(good.length / 2)));
  });

  it("missing policy.wasm", async () => {
    expect((await bundleError(await tarOf({ "data.json": "{}" }))).message).toBe("bundle has no /policy.wasm");
  });

  it("policy.wasm that is not Wasm", async () => {
    expect((await bundleError(await tarOf({ "policy.wasm": "hello world!" }))).message).toContain("not a WebAssembly module");
  });

  it("manifest that is not JSON", async () => {
    expect((await bundleError(await tarOf({ "policy.wasm": fakeWasm(1), ".manifest": "{revision:" }))).message).toContain(".manifest is not valid JSON");
  });

  it("manifest with wrong types", async () => {
    const e = await bundleError(await tarOf({ "policy.wasm": fakeWasm(1), ".manifest": '{"roots": "x"}' }));
    expect(e.message).toMatch(/^\.manifest: roots: /);
  });

  it("manifest entry without a module", async () => {
    const e = await bundleError(await tarOf({ "policy.wasm": fakeWasm(1), ".manifest": '{"wasm": [{"entrypoint": "a"}]}' }));
    expect(e.message).toContain("wasm.0.module");
  });

  it("data.json that is not JSON", async () => {
    expect((await bundleError(await tarOf({ "policy.wasm": fakeWasm(1), "data.json": "{" }))).message).toContain("/data.json is not valid JSON");
  });

  it("data.json that is not an object", async () => {
    expect((await bundleError(await tarOf({ "policy.wasm": fakeWasm(1), "data.json": "[1]" }))).message).toContain("must hold a JSON object, got an array");
  });

  it("conflicting nested data", async () => {
    const e = await bundleError(await tarOf({ "policy.wasm": fakeWasm(1), "data.json": '{"a": 5}', "a/data.json": '{"b": 1}' }));
    expect(e.message).toMatch(/redefines data at a$|conflicts with data already at a$/);
  });
});

describe("manifest parsing", () => {
  it("fills defaults and keeps unknown fields", () => {
    const m = parseManifest('{"wasm": [], "x-extra": 1}');
    expect(m.revision).toBe("");
    expect(m.roots).toEqual([""]);
    expect(m["x-extra"]).toBe(1);
  });
  it("rejects a manifest that is an array", () => {
    expect(() => parseManifest("[]")).toThrow(/\.manifest: \(top level\)/);
  });
});
