// Built-ins whose work is split between the module and the host, run end to
// end: compiled policies, real Wasm, the SDK with capgate's host built-ins.
// What matters here is what the data-driven cases cannot see: Rego values that
// JSON would lose (sets) surviving the trip, and errors reported under the
// name of the built-in the policy called.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { CapgateError } from "../../src/errors.js";
import { evaluatePolicy, instantiatePolicy } from "../../src/policy/runtime/index.js";

async function run(source: string, entrypoint: string, input: unknown = {}): Promise<unknown> {
  // Strict built-in errors, so that a failing call shows its error (OPA's default makes it undefined).
  const { wasm } = compilePolicy({ sources: [{ file: "p.rego", text: source }], entrypoints: [entrypoint], strictBuiltinErrors: true });
  const inst = await instantiatePolicy(wasm, {});
  const rs = evaluatePolicy(inst, input, entrypoint);
  return rs[0]?.["result"];
}

const AWS = `package t
cfg := {"aws_access_key": "AKID", "aws_secret_access_key": "SECRET", "aws_service": "s3", "aws_region": "eu-west-1"}
signed := providers.aws.sign_req({"method": "PUT", "url": "https://b.s3.amazonaws.com/k", "body": {"tags": {"a", "b"}}, "headers": {"x-extra": "1"}}, cfg, 1700000000000000000)
body_is_kept := is_set(signed.body.tags)
headers := object.keys(signed.headers)
bad := providers.aws.sign_req({"url": "https://x"}, cfg, 1)
`;

describe("providers.aws.sign_req (Wasm, signing on the host)", () => {
  it("returns the request with its sets intact and the signature headers added", async () => {
    expect(await run(AWS, "t/body_is_kept")).toBe(true);
    expect(((await run(AWS, "t/headers")) as string[]).sort()).toEqual(
      ["Authorization", "host", "x-amz-content-sha256", "x-amz-date", "x-extra"].sort(),
    );
  });

  it("signs the body as OPA marshals it: the set as a sorted array", async () => {
    const signed = (await run(AWS, "t/signed")) as { headers: Record<string, string> };
    const { createHash } = await import("node:crypto");
    expect(signed.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update('{"tags":["a","b"]}').digest("hex"));
  });

  it("reports a bad request under the built-in's name", async () => {
    const err = await run(AWS, "t/bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapgateError);
    expect((err as CapgateError).message).toContain('providers.aws.sign_req: operand 1 invalid values for required request parameters(s): {"method"}');
  });
});

describe("built-in declarations and implementations agree", () => {
  // Handled by the compiler itself: unification, assignment, print's rewrite, rule metadata.
  const COMPILER = new Set(["eq", "assign", "print", "rego.metadata.chain", "rego.metadata.rule"]);

  it("every declared built-in runs in Wasm or on the host with the declared arity, unless declared absent", async () => {
    const { BUILTINS } = await import("../../src/compiler/ast/builtin-decls.js");
    const { RUNTIME_BUILTINS } = await import("../../src/wasm-abi/index.js");
    const { hostBuiltins } = await import("../../src/policy/host-builtins/index.js");
    const wrong: string[] = [];
    for (const [name, decl] of BUILTINS) {
      if (COMPILER.has(name)) continue;
      const arity = RUNTIME_BUILTINS.get(name)?.arity ?? hostBuiltins.get(name)?.arity;
      if (decl.absent ? arity !== undefined : arity !== decl.arity) wrong.push(`${name}: declared ${decl.absent ? "absent" : decl.arity}, implemented ${arity ?? "nowhere"}`);
    }
    expect(wrong).toEqual([]);
  });

  it("a call to a built-in capgate does not provide is a compile error naming it; with may still name it", () => {
    const src = `package t
r := http.send({"method": "get", "url": "https://example.com"})
`;
    let err: unknown;
    try {
      compilePolicy({ sources: [{ file: "p.rego", text: src }], entrypoints: ["t/r"] });
    } catch (e) {
      err = e;
    }
    expect(String((err as Error).message ?? err)).toContain("undefined function http.send (capgate does not provide this built-in)");
    const mocked = `package t
f(x) := x
r := 1 if { true with http.send as f }
`;
    expect(() => compilePolicy({ sources: [{ file: "p.rego", text: mocked }], entrypoints: ["t/r"] })).not.toThrow();
  });
});

describe("numbers past int64 and decimals, end to end", () => {
  it("policy eval keeps every digit of a big integer and sums decimals exactly", async () => {
    const { evalQuery } = await import("../../src/policy/tools/index.js");
    const { toJsonTextPretty } = await import("../../src/policy/host-builtins/types.js");
    const sources = [{ file: "n.rego", text: "package n\nbig := 9223372036854775807 + 2\nok if 0.1 + 0.2 == 0.3\nhex := format_int(big * 2, 16)\n" }];
    const big = await evalQuery({ sources, query: "data.n.big", cache: false });
    expect(big.resultSet).toEqual([{ result: 9223372036854775809n }]);
    expect(toJsonTextPretty(big.resultSet)).toBe('[\n  {\n    "result": 9223372036854775809\n  }\n]');
    expect((await evalQuery({ sources, query: "data.n.ok", cache: false })).resultSet).toEqual([{ result: true }]);
    expect((await evalQuery({ sources, query: "data.n.hex", cache: false })).resultSet).toEqual([{ result: "10000000000000002" }]);
  });

  it("parseJsonExact leaves strings, decimals and safe integers as JSON.parse does", async () => {
    const { parseJsonExact } = await import("../../src/policy/host-builtins/types.js");
    const text = '{"s": "12345678901234567890", "d": 0.12345678901234567890, "e": 1e-12345678901234567, "n": 42, "b": -12345678901234567890}';
    expect(parseJsonExact(text)).toEqual({ ...(JSON.parse(text) as object), b: -12345678901234567890n });
  });
});

const EXACT = `package t
big_d := sprintf("%d", [12345678901234567890])
big_neg := sprintf("%v", [-98765432109876543210])
big_s := sprintf("%s %x %c", [123456789123456789123, 123456789123456789123, 123456789123456789123])
formatted := time.format(1703444325734390123)
marshalled := json.marshal({"n": 12345678901234567890, "f": 0.5, "s": "x"})
payload := base64url.decode(split(io.jwt.encode_sign({"typ": "JWT", "alg": "HS256"}, {"n": 12345678901234567890}, {"kty": "oct", "k": "c2VjcmV0"}), ".")[1])
small := sprintf("%d %.2f %s", [42, 3.14159, "x"])
`;

// The SDK hands host built-ins its JSON.parse of each operand; the module
// records the operands and the host reads them again exactly (capgate_host_operand).
describe("numbers reach host built-ins exactly", () => {
  it("formats integers past 2^53 in full (sprintf, as OPA's big.Int)", async () => {
    expect(await run(EXACT, "t/big_d")).toBe("12345678901234567890");
    expect(await run(EXACT, "t/big_neg")).toBe("-98765432109876543210");
    // beyond int64 Go's fmt gets a *big.Int: %s prints it as %d does, %c names big.Int
    expect(await run(EXACT, "t/big_s")).toBe("123456789123456789123 6b14e9f9b0df36a83 %!c(big.Int=123456789123456789123)");
  });

  it("keeps every nanosecond of a timestamp past 2^53 (time.format)", async () => {
    expect(await run(EXACT, "t/formatted")).toBe("2023-12-24T18:58:45.734390123Z");
  });

  it("marshals and signs big integers as written (json.marshal, io.jwt.encode_sign)", async () => {
    expect(await run(EXACT, "t/marshalled")).toBe('{"f":0.5,"n":12345678901234567890,"s":"x"}');
    expect(await run(EXACT, "t/payload")).toBe('{"n":12345678901234567890}');
  });

  it("leaves calls without big numbers as they were", async () => {
    expect(await run(EXACT, "t/small")).toBe("42 3.14 x");
  });
});
