// Runs the data-driven host built-in cases in test/cases/host-builtins/*.yaml
// directly on JavaScript values, the way the SDK hands them over (numbers as
// doubles, results compared as exact JSON text so 64-bit integers count).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { CapgateError } from "../../src/errors.js";
import { hostBuiltinFamilies, hostBuiltins, loadHostBuiltins, toJsonText } from "../../src/policy/host-builtins/index.js";
import type { HostContext } from "../../src/policy/host-builtins/index.js";

interface Case {
  note: string;
  call: string;
  args: unknown[];
  want?: unknown;
  want_match?: string;
  want_min?: bigint;
  want_undefined?: boolean;
  want_prints?: string[];
  error?: string;
}

const dir = join(fileURLToPath(new URL(".", import.meta.url)), "../cases/host-builtins");

/** Exact JSON text with keys sorted: objects compare as Rego objects (unordered), integers exactly. */
const canon = (v: unknown): string => toJsonText(sortKeys(v));
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
      : v;

/** What the SDK delivers: JSON.parse output, so integers are doubles. */
const asDelivered = (v: unknown): unknown => JSON.parse(toJsonText(v)) as unknown;

function call(name: string, args: unknown[], ctx: HostContext = {}): unknown {
  const b = hostBuiltins.get(name);
  if (!b) throw new Error(`no host built-in ${name}`);
  expect(args.length, `${name} arity`).toBe(b.arity);
  return b.impl(args.map(asDelivered), ctx);
}

// The families a policy loads on demand (graphql, JSON Schema), loaded as instantiating a module that calls them would.
beforeAll(() => loadHostBuiltins(hostBuiltins.keys()));

const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
const covered = new Set<string>();

for (const file of files) {
  const doc = YAML.parse(readFileSync(join(dir, file), "utf8"), { intAsBigInt: true }) as { cases: Case[] };
  describe(`host built-ins: ${file}`, () => {
    for (const c of doc.cases) {
      covered.add(c.call);
      it(c.note, () => {
        if (c.error !== undefined) {
          let thrown: unknown;
          try {
            call(c.call, c.args);
          } catch (e) {
            thrown = e;
          }
          expect(thrown, "expected an error").toBeInstanceOf(CapgateError);
          const err = thrown as CapgateError;
          expect(err.code).toBe("eval_builtin_error");
          expect(err.message).toContain(c.error);
          expect(err.message).not.toContain("\n");
          return;
        }
        const ctx: HostContext = {};
        const got = call(c.call, c.args, ctx);
        if (c.want_prints !== undefined) expect(ctx.prints).toEqual(c.want_prints);
        if (c.want_undefined) expect(got).toBeUndefined();
        else if (c.want_match !== undefined) expect(typeof got === "string" ? got : toJsonText(got)).toMatch(new RegExp(c.want_match, "s"));
        else if (c.want_min !== undefined) expect(BigInt(toJsonText(got))).toBeGreaterThanOrEqual(c.want_min);
        else expect(canon(got)).toBe(canon(c.want));
      });
    }
  });
}

describe("host built-ins: coverage and per-evaluation state", () => {
  it("every host built-in has at least one data-driven case", () => {
    const all = Object.values(hostBuiltinFamilies).flat().map((b) => b.name);
    const missing = all.filter((n) => !covered.has(n) && !/^io\.jwt\.verify_(hs384|hs512|rs|ps|es|eddsa)/.test(n));
    expect(missing).toEqual([]);
  });

  it("$capgate.deadline passes before the evaluation's deadline and stops it after", () => {
    expect(call("$capgate.deadline", [], { deadline: performance.now() + 60_000 })).toBeUndefined();
    let thrown: unknown;
    try {
      call("$capgate.deadline", [], { deadline: performance.now() - 1 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CapgateError);
    expect((thrown as CapgateError).code).toBe("eval_deadline_error");
  });

  it("time.now_ns is fixed within one evaluation and moves on in the next", async () => {
    const ctx: HostContext = {};
    const a = call("time.now_ns", [], ctx);
    await new Promise((r) => setTimeout(r, 5));
    expect(call("time.now_ns", [], ctx)).toBe(a);
    expect(call("time.now_ns", [], {}) as bigint).toBeGreaterThan(a as bigint);
  });

  it("rand.intn repeats for the same key and bound within one evaluation, and stays in range", () => {
    const ctx: HostContext = {};
    const a = call("rand.intn", ["k", 1_000_000], ctx) as number;
    expect(call("rand.intn", ["k", 1_000_000], ctx)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(1_000_000);
    const draws = new Set(Array.from({ length: 20 }, () => call("rand.intn", ["k", 1_000_000], {})));
    expect(draws.size).toBeGreaterThan(1);
    for (const d of draws) expect(d as number).toBeLessThan(1_000_000);
  });

  it("uuid.rfc4122 repeats for the same key within one evaluation only", () => {
    const ctx: HostContext = {};
    const a = call("uuid.rfc4122", ["k"], ctx);
    expect(call("uuid.rfc4122", ["k"], ctx)).toBe(a);
    expect(call("uuid.rfc4122", ["j"], ctx)).not.toBe(a);
    expect(call("uuid.rfc4122", ["k"], {})).not.toBe(a);
  });

  it("large nanosecond results keep every digit in the JSON handed to the SDK", () => {
    expect(toJsonText(call("time.parse_rfc3339_ns", ["2262-04-11T23:47:16.854775807Z"]))).toBe("9223372036854775807");
  });
});

describe("host built-ins: asymmetric JWT signatures (keys made by jose)", () => {
  for (const alg of ["RS256", "PS384", "ES256", "ES512"] as const) {
    it(`${alg}: a good signature verifies, a tampered one does not`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const token = await new SignJWT({ sub: "u1" }).setProtectedHeader({ alg }).sign(privateKey);
      const pem = await exportSPKI(publicKey);
      const name = `io.jwt.verify_${alg.toLowerCase()}`;
      expect(call(name, [token, pem])).toBe(true);
      const jwks = JSON.stringify({ keys: [await exportJWK(publicKey)] });
      expect(call(name, [token, jwks])).toBe(true);
      const [h, , s] = token.split(".");
      const forged = `${h}.${Buffer.from('{"sub":"admin"}').toString("base64url")}.${s}`;
      expect(call(name, [forged, pem])).toBe(false);
    });
  }

  it("EdDSA: verify_eddsa and decode_verify accept an Ed25519 signature and refuse a forged one; encode_sign signs one", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const token = await new SignJWT({ sub: "u1" }).setProtectedHeader({ alg: "EdDSA" }).sign(privateKey);
    const pem = await exportSPKI(publicKey);
    expect(call("io.jwt.verify_eddsa", [token, pem])).toBe(true);
    expect(call("io.jwt.verify_eddsa", [token, JSON.stringify({ keys: [await exportJWK(publicKey)] })])).toBe(true);
    expect(call("io.jwt.decode_verify", [token, { cert: pem }])).toEqual([true, { alg: "EdDSA" }, { sub: "u1" }]);
    const [h, , s] = token.split(".");
    expect(call("io.jwt.verify_eddsa", [`${h}.${Buffer.from('{"sub":"admin"}').toString("base64url")}.${s}`, pem])).toBe(false);
    const made = call("io.jwt.encode_sign", [{ alg: "EdDSA" }, { sub: "u2" }, await exportJWK(privateKey)]) as string;
    expect(call("io.jwt.verify_eddsa", [made, pem])).toBe(true);
  });

  it("encode_sign makes tokens that verify_* accepts", async () => {
    for (const alg of ["RS256", "ES384", "PS256"] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(privateKey);
      const token = call("io.jwt.encode_sign", [{ alg, typ: "JWT" }, { sub: "u1" }, jwk]) as string;
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, [token, await exportSPKI(publicKey)]), alg).toBe(true);
      expect((call("io.jwt.decode", [token]) as unknown[])[1]).toEqual({ sub: "u1" });
    }
  });

  it("decode_verify checks expiry against the given time", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const token = await new SignJWT({ sub: "u1", iss: "capgate" }).setProtectedHeader({ alg: "RS256" }).setExpirationTime(2_000_000_000).sign(privateKey);
    const cert = await exportSPKI(publicKey);
    const ok = call("io.jwt.decode_verify", [token, { cert, iss: "capgate", time: 1_900_000_000_000_000_000 }]) as unknown[];
    expect(ok[0]).toBe(true);
    expect(ok[2]).toMatchObject({ sub: "u1" });
    expect(call("io.jwt.decode_verify", [token, { cert, time: 2_100_000_000_000_000_000 }])).toEqual([false, {}, {}]);
    expect(call("io.jwt.decode_verify", [token, { cert, iss: "other", time: 1_900_000_000_000_000_000 }])).toEqual([false, {}, {}]);
  });
});
