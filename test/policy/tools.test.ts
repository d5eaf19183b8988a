// The policy tools end to end on real compiled modules: bundles built by
// `capgate policy build` load through loadPolicyBundle and the SDK; eval,
// test and check through the CLI entry (main) with its output and exit code.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { compilePolicy } from "../../src/compiler/index.js";
import { CapgateError, CapgateErrors } from "../../src/errors.js";
import { readBundle, writeBundle } from "../../src/policy/bundle.js";
import { evaluatePolicy, instantiatePolicy, loadPolicyBundle } from "../../src/policy/runtime/index.js";

const dir = mkdtempSync(join(tmpdir(), "capgate-tools-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = `package capgate.authz

# METADATA
# entrypoint: true
allow if input.user in data.admins

# METADATA
# entrypoint: true
greeting := sprintf("hello %s, %d admins", [input.user, count(data.admins)])

conflict := 1 if input.a
conflict := 2 if input.b
`;

const TESTS = `package capgate.authz_test

import data.capgate.authz

test_admin_allowed if authz.allow with input as {"user": "ann"} with data.admins as ["ann"]

test_other_denied if not authz.allow with input as {"user": "bob"} with data.admins as ["ann"]
`;

beforeAll(() => {
  mkdirSync(join(dir, "policies"));
  writeFileSync(join(dir, "policies", "authz.rego"), POLICY);
  writeFileSync(join(dir, "policies", "authz_test.rego"), TESTS);
  writeFileSync(join(dir, "data.json"), JSON.stringify({ admins: ["ann", "cy"] }));
  writeFileSync(join(dir, "input.json"), JSON.stringify({ user: "ann" }));
  mkdirSync(join(dir, "failing"));
  writeFileSync(join(dir, "failing", "f_test.rego"), "package f_test\n\ntest_ok if true\n\ntest_bad if 1 == 2\n\ntest_boom if x := 1 / 0\n");
  mkdirSync(join(dir, "broken"));
  writeFileSync(join(dir, "broken", "a.rego"), "package a\n\np if {\n");
  writeFileSync(join(dir, "broken", "b.rego"), "package b\n\nq := other(2)\n\nr := nosuch(1)\n");
});

let out = "";
let err = "";
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
afterEach(() => {
  process.stdout.write = realOut;
  process.stderr.write = realErr;
  process.exitCode = 0;
});

async function cli(...args: string[]): Promise<number> {
  out = "";
  err = "";
  process.exitCode = 0;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    await main(["node", "capgate", ...args]);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return code;
}

describe("capgate policy build → loadPolicyBundle", () => {
  it("builds a bundle with the annotated entrypoints and data, which loads and evaluates", async () => {
    const file = join(dir, "bundle.tar.gz");
    expect(await cli("policy", "build", "-o", file, "--data", join(dir, "data.json"), "--revision", "r7", join(dir, "policies", "authz.rego"))).toBe(0);
    const b = await loadPolicyBundle(file);
    expect(b.revision).toBe("r7");
    expect(b.entrypoints.sort()).toEqual(["capgate/authz/allow", "capgate/authz/greeting"]);
    expect(b.manifest.wasm.map((w) => w.module)).toEqual(["/policy.wasm", "/policy.wasm"]);
    expect(evaluatePolicy(b.instance, { user: "ann" }, "capgate/authz/allow")).toEqual([{ result: true }]);
    expect(evaluatePolicy(b.instance, { user: "bob" }, "capgate/authz/allow")).toEqual([]);
    expect(evaluatePolicy(b.instance, { user: "bob" }, "capgate/authz/greeting")).toEqual([{ result: "hello bob, 2 admins" }]);
  });

  it("takes -e entrypoints in data.a.b or a/b form", async () => {
    const file = join(dir, "bundle-e.tar.gz");
    expect(await cli("policy", "build", "-o", file, "-e", "data.capgate.authz.conflict", "-e", "capgate/authz/allow", join(dir, "policies", "authz.rego"))).toBe(0);
    const b = await readBundle(readFileSync(file));
    expect(b.manifest.wasm.map((w) => w.entrypoint)).toEqual(["capgate/authz/conflict", "capgate/authz/allow"]);
  });

  it("maps a run-time conflict to eval_conflict_error and an unknown entrypoint to invalid_input", async () => {
    const c = compilePolicy({ sources: [{ file: "authz.rego", text: POLICY }], entrypoints: ["capgate/authz/conflict"] });
    const inst = await instantiatePolicy(c.wasm, {});
    expect(evaluatePolicy(inst, { a: true }, "capgate/authz/conflict")).toEqual([{ result: 1 }]);
    let e: unknown;
    try {
      evaluatePolicy(inst, { a: true, b: true }, "capgate/authz/conflict");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(CapgateError);
    expect((e as CapgateError).code).toBe("eval_conflict_error");
    expect(() => evaluatePolicy(inst, {}, "capgate/nope")).toThrow(/unknown entrypoint "capgate\/nope"/);
    // The instance stays usable after an abort.
    expect(evaluatePolicy(inst, { b: true }, "capgate/authz/conflict")).toEqual([{ result: 2 }]);
  });

  it("keeps non-ASCII text whole in print lines (the SDK hands them over byte by byte)", async () => {
    const text = ["package capgate.intl", "", 'greet := true if print("வணக்கம்", {"ключ": "ശുഭദിനം"})', ""].join("\n");
    const c = compilePolicy({ sources: [{ file: "intl.rego", text }], entrypoints: ["capgate/intl/greet"] });
    const inst = await instantiatePolicy(c.wasm, {});
    expect(evaluatePolicy(inst, {}, "capgate/intl/greet")).toEqual([{ result: true }]);
    expect(inst.prints).toEqual(['intl.rego:3: வணக்கம் {"ключ": "ശുഭദിനം"}']);
  });

  it("refuses a bundle whose manifest names an entrypoint the module lacks", async () => {
    const c = compilePolicy({ sources: [{ file: "authz.rego", text: POLICY }], entrypoints: ["capgate/authz/allow"] });
    const bytes = await writeBundle({ wasm: c.wasm, entrypoints: ["capgate/authz/allow", "capgate/authz/other"] });
    await expect(loadPolicyBundle(bytes)).rejects.toThrow(/names entrypoint capgate\/authz\/other, which policy.wasm does not export/);
  });

  it("fails closed when the module needs a built-in capgate does not provide", async () => {
    const src = 'package x\n\np := http.send({"method": "get", "url": "http://127.0.0.1:1"})\n';
    let e: unknown;
    try {
      const c = compilePolicy({ sources: [{ file: "x.rego", text: src }], entrypoints: ["x/p"] });
      await instantiatePolicy(c.wasm, {});
    } catch (x) {
      e = x;
    }
    // Compiling already refuses it (policy check names the built-in capgate lacks).
    expect(e instanceof CapgateError || e instanceof CapgateErrors).toBe(true);
    expect((e as Error).message).toMatch(/http\.send/);
  });

  it("a missing bundle file is a one-line bundle_error", async () => {
    await expect(loadPolicyBundle(join(dir, "nope.tar.gz"))).rejects.toThrow(/^cannot read bundle .*nope\.tar\.gz: ENOENT/);
  });
});

describe("capgate policy eval", () => {
  it("prints [{result}] for a reference query", async () => {
    expect(await cli("policy", "eval", "-q", "data.capgate.authz.allow", "--data", join(dir, "data.json"), "--input", join(dir, "input.json"), join(dir, "policies"))).toBe(0);
    expect(JSON.parse(out)).toEqual([{ result: true }]);
  });

  it("prints bindings for a query with variables, and [] when undefined", async () => {
    expect(await cli("policy", "eval", "-q", "x := data.admins[_]", "--data", join(dir, "data.json"))).toBe(0);
    expect(JSON.parse(out)).toEqual([{ x: "ann" }, { x: "cy" }]);
    expect(await cli("policy", "eval", "-q", "data.capgate.authz.allow", join(dir, "policies", "authz.rego"))).toBe(0);
    expect(JSON.parse(out)).toEqual([]);
  });

  it("reports errors on stderr with a non-zero exit", async () => {
    expect(await cli("policy", "eval", "-q", "data.capgate.authz.conflict", "--input", join(dir, "input.json"), join(dir, "broken"))).toBe(1);
    expect(out).toBe("");
    expect(err).toMatch(/rego_parse_error/);
    writeFileSync(join(dir, "bad-input.json"), "{nope");
    expect(await cli("policy", "eval", "-q", "input", "--input", join(dir, "bad-input.json"))).toBe(1);
    expect(err).toMatch(/^capgate: invalid_input: input file .*bad-input\.json: invalid JSON/);
  });
});

describe("capgate policy test", () => {
  it("prints one line per test and a summary, exit 0 when all pass", async () => {
    expect(await cli("policy", "test", join(dir, "policies"))).toBe(0);
    expect(out).toContain("data.capgate.authz_test.test_admin_allowed: PASS");
    expect(out).toContain("data.capgate.authz_test.test_other_denied: PASS");
    expect(out).toMatch(/PASS: 2\/2\n$/);
  });

  it("exits 2 (as opa test) and counts failures and errors", async () => {
    expect(await cli("policy", "test", join(dir, "failing"))).toBe(2);
    expect(out).toContain("data.f_test.test_ok: PASS");
    expect(out).toContain("data.f_test.test_bad: FAIL (undefined)");
    expect(out).toMatch(/PASS: 1\/3\n/);
    expect(out).toMatch(/(FAIL|ERROR): /);
  });
});

describe("capgate policy test --run and --format", () => {
  it("runs only the tests whose name the pattern matches", async () => {
    expect(await cli("policy", "test", "--run", "admin", join(dir, "policies"))).toBe(0);
    expect(out).toContain("data.capgate.authz_test.test_admin_allowed: PASS");
    expect(out).not.toContain("test_other_denied");
    expect(out).toMatch(/PASS: 1\/1\n$/);
  });

  it("says so when the pattern matches no test, and exits 0 as opa test does", async () => {
    expect(await cli("policy", "test", "-r", "^nothing$", join(dir, "policies"))).toBe(0);
    expect(out).toContain("no tests found (test_* rules matching ^nothing$)");
  });

  it("finds test_ rules in any module, not only *_test.rego files", async () => {
    writeFileSync(join(dir, "inline.rego"), "package inline\n\nallow if input.ok\n\ntest_allow if allow with input as {\"ok\": true}\n");
    expect(await cli("policy", "test", join(dir, "inline.rego"))).toBe(0);
    expect(out).toContain("data.inline.test_allow: PASS");
  });

  it("refuses a pattern that is not a regular expression in one line", async () => {
    expect(await cli("policy", "test", "--run", "(", join(dir, "policies"))).not.toBe(0);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(/^capgate: invalid_input: --run: not a regular expression: /);
  });

  it("prints the results as opa test --format json does, with the same exit code", async () => {
    expect(await cli("policy", "test", "--format", "json", join(dir, "failing"))).toBe(2);
    type Row = { package: string; name: string; fail?: boolean; error?: { message: string }; location: { file: string; row: number; col: number }; duration: number };
    const results = JSON.parse(out) as Row[];
    const by = (n: string): Row | undefined => results.find((r) => r.name === n);
    expect(results.every((r) => r.package === "data.f_test" && typeof r.duration === "number")).toBe(true);
    expect(by("test_ok")?.fail).toBeUndefined();
    expect(by("test_bad")?.fail).toBe(true);
    expect(by("test_bad")?.location).toEqual({ file: expect.stringContaining("f_test.rego"), row: 5, col: 1 });
    expect(by("test_boom")?.fail ?? by("test_boom")?.error).toBeTruthy();
  });
});

describe("capgate policy check", () => {
  it("is silent and exits 0 for good policies", async () => {
    expect(await cli("policy", "check", join(dir, "policies"))).toBe(0);
    expect(err).toBe("");
  });

  it("reports every error as file:row:col: code: message", async () => {
    expect(await cli("policy", "check", join(dir, "broken", "b.rego"))).toBe(1);
    const lines = err.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^.*b\.rego:\d+:\d+: rego_[a-z_]+: \S/);
    expect(await cli("policy", "check", join(dir, "broken"))).toBe(1);
    expect(err).toMatch(/a\.rego:\d+:\d+: rego_parse_error: /);
  });

  it("reports the same errors as JSON with --format json, and an empty list for good policies", async () => {
    expect(await cli("policy", "check", "--format", "json", join(dir, "broken", "b.rego"))).toBe(1);
    const { errors } = JSON.parse(out) as { errors: Array<{ code: string; message: string; location: { file: string; row: number; col: number } }> };
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const e of errors) {
      expect(e.code).toMatch(/^rego_[a-z_]+$/);
      expect(e.location.file).toMatch(/b\.rego$/);
      expect(e.location.row).toBeGreaterThan(0);
    }
    expect(err).toBe("");
    expect(await cli("policy", "check", "--format", "json", join(dir, "policies"))).toBe(0);
    expect(JSON.parse(out)).toEqual({ errors: [] });
  });
});

describe("abort messages", () => {
  it("keep the location and take the code the runtime names", async () => {
    const { abortToError } = await import("../../src/policy/runtime/index.js");
    const a = abortToError("p.rego:7:1: eval_conflict_error: functions must not produce multiple outputs for same inputs");
    expect(a.code).toBe("eval_conflict_error");
    expect(a.format()).toBe("p.rego:7:1: eval_conflict_error: functions must not produce multiple outputs for same inputs");
    expect(abortToError("var assignment conflict").code).toBe("eval_conflict_error");
    expect(abortToError("something odd").code).toBe("eval_internal_error");
  });
});
