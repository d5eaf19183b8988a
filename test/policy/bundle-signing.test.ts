// Signed bundles in OPA's format, checked against vectors built from the
// format itself rather than from capgate's code: canonical JSON and its
// digests written out by hand, and `/.signatures.json` files assembled by
// hand (header, payload and signature made with node:crypto alone, laid out
// as `opa build --signing-key` writes them) that capgate must accept; and
// capgate's own signatures taken apart by hand as OPA would check them.
// Every refusal is one bundle_error line naming the file and the problem.
import { createHash, createHmac, generateKeyPairSync, sign as rsaSign, verify as rsaVerify } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { create, extract } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { CapgateError } from "../../src/errors.js";
import { readBundle, signBundle, writeBundle } from "../../src/policy/bundle.js";
import { canonicalJson, hashBundleFile, loadBundleSigner, loadBundleVerifier, type BundleVerifier } from "../../src/policy/signing/index.js";

const work = mkdtempSync(join(tmpdir(), "capgate-signing-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const file = (name: string, content: string | Buffer): string => {
  const p = join(work, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
};

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsaPrivate = file("rsa.pem", rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
const rsaPublic = file("rsa.pub.pem", rsa.publicKey.export({ type: "spki", format: "pem" }) as string);
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherPublic = file("other.pub.pem", other.publicKey.export({ type: "spki", format: "pem" }) as string);
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ecPrivate = file("ec.pem", ec.privateKey.export({ type: "sec1", format: "pem" }) as string);
const ecPublic = file("ec.pub.pem", ec.publicKey.export({ type: "spki", format: "pem" }) as string);
const secret = file("hmac.secret", "correct horse battery staple");

const sha256 = (s: string | Uint8Array): string => createHash("sha256").update(s).digest("hex");
const b64url = (s: string | Buffer): string => Buffer.from(s).toString("base64url");
const fakeWasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x2a, 0x2b]);

/** A .tar.gz with `./`-prefixed entries, as a directory tarred by hand (or OPA's loader reading one). */
async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = join(work, `tree-${n++}`);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  const out = join(work, `bundle-${n++}.tar.gz`);
  await create({ gzip: true, file: out, cwd: dir, portable: true }, Object.keys(files).map((p) => `./${p}`));
  return readFileSync(out);
}

/** The entries of a bundle, to take capgate's output apart by hand. */
async function untarOf(bytes: Uint8Array): Promise<Record<string, Buffer>> {
  const dir = join(work, `out-${n++}`);
  mkdirSync(dir);
  const archive = file("in.tar.gz", Buffer.from(bytes));
  const names: string[] = [];
  await extract({ file: archive, cwd: dir, preservePaths: false, onReadEntry: (e) => void names.push(e.path) });
  return Object.fromEntries(names.map((p) => [p.replace(/^\/+/, ""), readFileSync(join(dir, p.replace(/^\/+/, "")))]));
}

async function refusal(bytes: Uint8Array, verifier: BundleVerifier): Promise<string> {
  try {
    await readBundle(bytes, { verifier });
  } catch (e) {
    expect(e).toBeInstanceOf(CapgateError);
    const line = (e as CapgateError).format();
    expect(line).not.toContain("\n");
    return line;
  }
  throw new Error("expected the bundle to be refused");
}

describe("OPA's canonical JSON (the text a structured file's digest is taken over)", () => {
  // [file text, canonical text written out by hand from the rule: keys sorted by code point,
  // no whitespace, numbers as written, strings escaped as Go's encoder without HTML escaping]
  const vectors: Array<[string, string]> = [
    ['{"x": {"y": true}, "a": {"b": {"z": true}}}', '{"a":{"b":{"z":true}},"x":{"y":true}}'],
    ['[1, 2, 3]', "[1,2,3]"],
    ['{"n": 1.0, "m": 1E2, "z": -0, "big": 123.45678911111111111111111111111111111111111111111111111}', '{"big":123.45678911111111111111111111111111111111111111111111111,"m":1E2,"n":1.0,"z":-0}'],
    ['{"html": "<a href=\\"x\\">&</a>"}', '{"html":"<a href=\\"x\\">&</a>"}'],
    ['"\\u00e9\\u2028\\u2029\\/\\b\\f\\u0001"', '"é\\u2028\\u2029/\\b\\f\\u0001"'],
    // U+FFFF sorts before U+1F600 by code point (and UTF-8 bytes), though after it by UTF-16 units.
    ['{"\\ud83d\\ude00": 1, "\\uffff": 2, "B": 3, "a": 4}', '{"B":3,"a":4,"\uffff":2,"😀":1}'],
    ['{"k": 1, "k": 2}', '{"k":2}'],
    ["\t\r\n {  } \n", "{}"],
    ["null", "null"],
  ];
  it.each(vectors)("%s", (text, canonical) => {
    expect(canonicalJson(text, "/data.json")).toBe(canonical);
  });

  it("digests: structured files over their canonical text, the rest over their bytes", () => {
    const data = '{\n  "x": {"y": true},\n  "a": {"b": {"z": true}}\n}\n';
    // SHA-256 of {"a":{"b":{"z":true}},"x":{"y":true}}
    expect(hashBundleFile("data.json", Buffer.from(data), "SHA-256")).toBe("31ade98a8342162ff1a4dcdbd76855f897a4578e00068124a711c756ff548b12");
    expect(hashBundleFile("a/b/data.json", Buffer.from("[1,2,3]"), "SHA-512")).toBe(createHash("sha512").update("[1,2,3]").digest("hex"));
    expect(hashBundleFile(".manifest", Buffer.from('{"revision": "r1", "roots": [""]}'), "SHA-256")).toBe(sha256('{"revision":"r1","roots":[""]}'));
    expect(hashBundleFile("x/data.yaml", Buffer.from("foo: 1\nbar: [a]\n"), "SHA-256")).toBe(sha256('{"bar":["a"],"foo":1}'));
    // Not structured: hashed as bytes, whitespace and all.
    expect(hashBundleFile("example/authz.rego", Buffer.from("package example\n"), "SHA-256")).toBe(sha256("package example\n"));
    expect(hashBundleFile("plan.json", Buffer.from('{ "b": 1 }'), "SHA-256")).toBe(sha256('{ "b": 1 }'));
  });

  it("refuses what has no single canonical form or a weak hash, in one line", () => {
    expect(() => canonicalJson('{"s": "\\ud800"}', "/data.json")).toThrow(/^\/data\.json holds a lone UTF-16 surrogate/);
    expect(() => canonicalJson("{nope", "/data.json")).toThrow(/^\/data\.json is not valid JSON/);
    expect(() => canonicalJson("[".repeat(200_000) + "]".repeat(200_000), "/data.json")).toThrow(/^\/data\.json (is nested too deeply|is not valid JSON)/);
    expect(() => hashBundleFile("data.json", Buffer.from("{}"), "MD5")).toThrow('/data.json: the bundle signature hashes it with "MD5", which is too weak to trust');
  });
});

const MANIFEST = '{"revision":"opa-built","roots":[""],"wasm":[{"entrypoint":"example/allow","module":"/policy.wasm"}]}';
const DATA = '{\n  "tenants": {"acme": {"max_ttl": 3600}},\n  "flags": [true, 1.5]\n}';
const REGO = "package example\n\nallow := true\n";
const BUNDLE_FILES = { ".manifest": MANIFEST, "data.json": DATA, "example/example.rego": REGO, "policy.wasm": fakeWasm };

/** The payload `opa build` signs: Go marshals the map's keys sorted, each file as {name, hash, algorithm}. */
function opaPayload(extra: Record<string, unknown> = { keyid: "default" }): string {
  const files = [
    { name: "example/example.rego", hash: sha256(REGO), algorithm: "SHA-256" },
    { name: "data.json", hash: sha256('{"flags":[true,1.5],"tenants":{"acme":{"max_ttl":3600}}}'), algorithm: "SHA-256" },
    { name: "policy.wasm", hash: sha256(fakeWasm), algorithm: "SHA-256" },
    { name: ".manifest", hash: sha256('{"revision":"opa-built","roots":[""],"wasm":[{"entrypoint":"example/allow","module":"/policy.wasm"}]}'), algorithm: "SHA-256" },
  ];
  return JSON.stringify({ files, ...extra });
}

/** `/.signatures.json` as OPA writes it (one-space indent), around a JWS assembled by hand. */
function signaturesFile(header: object, payload: string, signer: (input: string) => Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(payload)}`;
  return JSON.stringify({ signatures: [`${input}.${signer(input).toString("base64url")}`] }, null, " ");
}
const rs256 = (input: string): Buffer => rsaSign("sha256", Buffer.from(input), rsa.privateKey);
const hs256 = (input: string): Buffer => createHmac("sha256", "correct horse battery staple").update(input).digest();

describe("a bundle signed as `opa build --signing-key` signs it verifies in capgate", () => {
  it("RS256 (OPA's default), kid and keyid `default`", async () => {
    const sig = signaturesFile({ alg: "RS256", kid: "default" }, opaPayload(), rs256);
    const b = await readBundle(await tarOf({ ...BUNDLE_FILES, ".signatures.json": sig }), { verifier: loadBundleVerifier({ keyFile: rsaPublic }) });
    expect(b.verified).toEqual({ keyId: "default", scope: "", files: 4 });
    expect(b.data).toEqual({ tenants: { acme: { max_ttl: 3600 } }, flags: [true, 1.5] });
  });

  it("HS256 with the secret's exact bytes, a claims file's scope and issuer, and no kid", async () => {
    const sig = signaturesFile({ alg: "HS256" }, opaPayload({ iss: "ci", scope: "write" }), hs256);
    const b = await readBundle(await tarOf({ ...BUNDLE_FILES, ".signatures.json": sig }), { verifier: loadBundleVerifier({ keyFile: secret, scope: "write" }) });
    expect(b.verified?.scope).toBe("write");
  });

  it("still verifies when a structured file is only re-indented (the digest is over its canonical form)", async () => {
    const sig = signaturesFile({ alg: "RS256", kid: "default" }, opaPayload(), rs256);
    const reindented = JSON.stringify(JSON.parse(DATA), null, 4);
    await readBundle(await tarOf({ ...BUNDLE_FILES, "data.json": reindented, ".signatures.json": sig }), { verifier: loadBundleVerifier({ keyFile: rsaPublic }) });
  });
});

describe("a bundle capgate signs checks out as OPA checks it", () => {
  it("writes /.signatures.json: one RS256 JWT over every file, names without a slash, SHA-256 of the canonical JSON", async () => {
    const signer = loadBundleSigner({ keyFile: rsaPrivate });
    const bytes = await writeBundle({ wasm: fakeWasm, entrypoints: ["example/allow"], data: { z: 1, a: [2.5] }, revision: "r7", signer });
    const files = await untarOf(bytes);
    expect(Object.keys(files).sort()).toEqual([".manifest", ".signatures.json", "data.json", "policy.wasm"]);
    const doc = JSON.parse(files[".signatures.json"]!.toString()) as { signatures: string[] };
    expect(doc.signatures).toHaveLength(1);
    const [h, p, s] = doc.signatures[0]!.split(".") as [string, string, string];
    expect(JSON.parse(Buffer.from(h, "base64url").toString())).toEqual({ alg: "RS256", kid: "default" });
    expect(rsaVerify("sha256", Buffer.from(`${h}.${p}`), rsa.publicKey, Buffer.from(s, "base64url"))).toBe(true);
    const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as { files: Array<{ name: string; hash: string; algorithm: string }>; keyid: string };
    expect(payload.keyid).toBe("default");
    const manifestCanonical = `{"revision":"r7","roots":[""],"wasm":[{"entrypoint":"example/allow","module":"/policy.wasm"}]}`;
    expect(payload.files).toEqual(
      expect.arrayContaining([
        { name: "data.json", hash: sha256('{"a":[2.5],"z":1}'), algorithm: "SHA-256" },
        { name: "policy.wasm", hash: sha256(fakeWasm), algorithm: "SHA-256" },
        { name: ".manifest", hash: sha256(manifestCanonical), algorithm: "SHA-256" },
      ]),
    );
    expect(payload.files).toHaveLength(3);
  });

  it("signs an existing bundle with ES256 and a claims file; the claims go into the payload as they are", async () => {
    const claims = file("claims.json", JSON.stringify({ iss: "release", scope: "prod", keyid: "release-1" }));
    const signed = await signBundle(await tarOf(BUNDLE_FILES), loadBundleSigner({ keyFile: ecPrivate, alg: "ES256", claimsFile: claims }));
    const b = await readBundle(signed, { verifier: loadBundleVerifier({ keyFile: ecPublic, keyId: "release-1", scope: "prod" }) });
    expect(b.verified).toEqual({ keyId: "release-1", scope: "prod", files: 4 });
    const token = (JSON.parse((await untarOf(signed))[".signatures.json"]!.toString()) as { signatures: string[] }).signatures[0]!;
    expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())).toMatchObject({ iss: "release", scope: "prod", keyid: "release-1" });
  });
});

describe("refusals: one line naming the file and the problem", () => {
  const verifier = (): BundleVerifier => loadBundleVerifier({ keyFile: rsaPublic });
  const signedBy = (payload: string, header: object = { alg: "RS256", kid: "default" }, by = rs256): string => signaturesFile(header, payload, by);

  it("flipped bytes in data.json", async () => {
    const tampered = DATA.replace("3600", "9600");
    const line = await refusal(await tarOf({ ...BUNDLE_FILES, "data.json": tampered, ".signatures.json": signedBy(opaPayload()) }), verifier());
    expect(line).toMatch(/^bundle_error: \/data\.json: digest mismatch: its SHA-256 is [0-9a-f]{64}, the bundle signature lists [0-9a-f]{64}$/);
  });

  it("flipped bytes in the Wasm module", async () => {
    const wasm = Buffer.from(fakeWasm);
    wasm.writeUInt8(wasm.readUInt8(9) ^ 0xff, 9);
    expect(await refusal(await tarOf({ ...BUNDLE_FILES, "policy.wasm": wasm, ".signatures.json": signedBy(opaPayload()) }), verifier())).toMatch(/^bundle_error: \/policy\.wasm: digest mismatch/);
  });

  it("an unsigned bundle when a key is configured", async () => {
    expect(await refusal(await tarOf(BUNDLE_FILES), verifier())).toBe("bundle_error: /.signatures.json: missing: the bundle is not signed, and a verification key is configured");
  });

  it("a bundle signed with another key", async () => {
    const line = await refusal(await tarOf({ ...BUNDLE_FILES, ".signatures.json": signedBy(opaPayload()) }), loadBundleVerifier({ keyFile: otherPublic }));
    expect(line).toBe(`bundle_error: /.signatures.json: the signature does not verify with the verification key ${otherPublic}`);
  });

  it("an HMAC token made with the RSA public key as its secret (algorithm confusion)", async () => {
    const confused = (input: string): Buffer => createHmac("sha256", readFileSync(rsaPublic)).update(input).digest();
    const line = await refusal(await tarOf({ ...BUNDLE_FILES, ".signatures.json": signedBy(opaPayload(), { alg: "HS256", kid: "default" }, confused) }), verifier());
    expect(line).toBe('bundle_error: /.signatures.json: signed with "HS256", which the verification key (RSA public key) does not verify');
  });

  it("alg none", async () => {
    const sig = JSON.stringify({ signatures: [`${b64url('{"alg":"none"}')}.${b64url(opaPayload())}.`] });
    expect(await refusal(await tarOf({ ...BUNDLE_FILES, ".signatures.json": sig }), verifier())).toMatch(/signed with "none", which the verification key \(RSA public key\) does not verify/);
  });

  it("a file the signature does not list, and a listed file the bundle lacks", async () => {
    const extra = await tarOf({ ...BUNDLE_FILES, "evil/data.json": '{"admin":true}', ".signatures.json": signedBy(opaPayload()) });
    expect(await refusal(extra, verifier())).toBe("bundle_error: /evil/data.json: not listed in the bundle signature");
    const { "example/example.rego": _dropped, ...rest } = BUNDLE_FILES;
    const lacking = await tarOf({ ...rest, ".signatures.json": signedBy(opaPayload()) });
    expect(await refusal(lacking, verifier())).toBe("bundle_error: /example/example.rego: listed in the bundle signature but not in the bundle");
  });

  it("scope and key id that do not match the configuration", async () => {
    const scoped = await tarOf({ ...BUNDLE_FILES, ".signatures.json": signedBy(opaPayload({ keyid: "default", scope: "staging" })) });
    expect(await refusal(scoped, loadBundleVerifier({ keyFile: rsaPublic, scope: "prod" }))).toBe(
      'bundle_error: /.signatures.json: scope "staging" does not match the configured scope "prod"',
    );
    const kid = await tarOf({ ...BUNDLE_FILES, ".signatures.json": signedBy(opaPayload({}), { alg: "RS256", kid: "old-key" }) });
    expect(await refusal(kid, verifier())).toBe('bundle_error: /.signatures.json: signed for key id "old-key", but the verification key\'s id is "default"');
  });

  it("malformed signature files", async () => {
    const cases: Array<[string, RegExp]> = [
      ["not json", /\/\.signatures\.json: not valid JSON/],
      ['{"signatures": []}', /"signatures" must hold exactly one JWT, found 0 item\(s\)/],
      [JSON.stringify({ signatures: ["a.b.c", "d.e.f"] }), /exactly one JWT, found 2 item\(s\)/],
      [JSON.stringify({ signatures: ["garbage"] }), /the signature is not a compact JWT/],
      [JSON.stringify({ plugin: "kms", signatures: ["a.b.c"] }), /names signing plugin "kms"/],
    ];
    for (const [text, pattern] of cases) expect(await refusal(await tarOf({ ...BUNDLE_FILES, ".signatures.json": text }), verifier())).toMatch(pattern);
    const md5 = opaPayload().replace('"algorithm":"SHA-256"', '"algorithm":"MD5"');
    expect(await refusal(await tarOf({ ...BUNDLE_FILES, ".signatures.json": signedBy(md5) }), verifier())).toMatch(/which is too weak to trust/);
  });

  it("bad key files are config errors, read once", () => {
    expect(() => loadBundleVerifier({ keyFile: join(work, "absent.pem") })).toThrow(/verification key .*absent\.pem: cannot read \(ENOENT\)/);
    expect(() => loadBundleSigner({ keyFile: ecPrivate })).toThrow(/an EC prime256v1 key cannot sign RS256/);
    expect(() => loadBundleSigner({ keyFile: rsaPrivate, alg: "HS256" })).toThrow(/a PEM key cannot be an HS256 secret/);
    expect(() => loadBundleSigner({ keyFile: rsaPrivate, alg: "none" })).toThrow(/--signing-alg: "none" is not one of/);
    expect(() => loadBundleSigner({ keyFile: rsaPrivate, claimsFile: file("c.json", '{"files": []}') })).toThrow(/"files" is the signer's to write/);
  });
});

describe("integrity, as a property: a changed byte anywhere in a signed bundle's files", () => {
  it("is refused, or (a structured file only re-spaced) loads exactly the signed data and module", async () => {
    const signed = signaturesFile({ alg: "RS256", kid: "default" }, opaPayload(), rs256);
    const verifier = loadBundleVerifier({ keyFile: rsaPublic });
    const original = await readBundle(await tarOf({ ...BUNDLE_FILES, ".signatures.json": signed }), { verifier });
    const names = Object.keys(BUNDLE_FILES) as Array<keyof typeof BUNDLE_FILES>;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.nat(), fc.integer({ min: 0, max: 255 }), async (name, at, byte) => {
        const bytes = Buffer.from(BUNDLE_FILES[name]);
        const i = at % bytes.length;
        fc.pre(bytes[i] !== byte);
        bytes[i] = byte;
        try {
          const b = await readBundle(await tarOf({ ...BUNDLE_FILES, [name]: bytes, ".signatures.json": signed }), { verifier });
          expect(b.data).toEqual(original.data);
          expect(Buffer.from(b.wasm).equals(Buffer.from(original.wasm))).toBe(true);
          expect(b.manifest).toEqual(original.manifest);
        } catch (e) {
          expect((e as CapgateError).code).toBe("bundle_error");
        }
      }),
      { seed: 20261204, numRuns: 150 },
    );
  }, 120_000);
});
