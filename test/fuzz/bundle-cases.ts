// The bundle reader's fuzz class, shared by the vitest suite and
// `npm run fuzz`: a signed bundle's tar stream with bytes changed, inserted or
// cut (then gzipped again, so the damage reaches the tar parser and the
// signature check rather than stopping at gzip's checksum). The rule: the
// reader refuses with a bundle_error, or, the signature having held, it loads
// exactly what was signed.
import { gunzipSync, gzipSync } from "node:zlib";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { isCapgateError } from "../../src/errors.js";
import { readBundle, writeBundle, type Bundle } from "../../src/policy/bundle.js";
import { loadBundleSigner, loadBundleVerifier, type BundleVerifier } from "../../src/policy/signing/index.js";

export interface BundleFuzzTarget {
  tar: Buffer;
  original: Bundle;
  verifier: BundleVerifier;
  close(): void;
}

export async function bundleFuzzTarget(): Promise<BundleFuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), "capgate-bundle-fuzz-"));
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key = join(dir, "k.pem");
  const pub = join(dir, "k.pub.pem");
  writeFileSync(key, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(pub, pair.publicKey.export({ type: "spki", format: "pem" }));
  const wasm = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff)]);
  const data = { tenants: { acme: { max_ttl: 900, mfa: true } }, admins: ["u-root"] };
  const signer = loadBundleSigner({ keyFile: key, alg: "ES256" });
  const bytes = await writeBundle({ wasm, entrypoints: ["capgate/token/issue"], data, revision: "fuzz", signer });
  const verifier = loadBundleVerifier({ keyFile: pub });
  const original = await readBundle(bytes, { verifier });
  return { tar: gunzipSync(bytes), original, verifier, close: () => rmSync(dir, { recursive: true, force: true }) };
}

const damage = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 600 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** The tar with the edits applied, gzipped again. */
export function damaged(tar: Buffer): fc.Arbitrary<Buffer> {
  return damage.map((edits) => {
    let t = Buffer.from(tar);
    for (const e of edits) {
      const at = e.at % (t.length + 1);
      if (e.kind === "set") {
        if (at < t.length) t[at] = e.byte;
      } else if (e.kind === "insert") t = Buffer.concat([t.subarray(0, at), e.bytes, t.subarray(at)]);
      else t = Buffer.concat([t.subarray(0, at), t.subarray(at + e.len)]);
    }
    return gzipSync(t);
  });
}

/** "refused", "loaded" or "unchanged" when it held; what is wrong otherwise. */
export async function readOutcome(target: BundleFuzzTarget, bytes: Buffer): Promise<{ outcome: string; wrong: string | null }> {
  let b: Bundle;
  try {
    b = await readBundle(bytes, { verifier: target.verifier });
  } catch (e) {
    if (isCapgateError(e) && e.code === "bundle_error" && !e.message.includes("\n")) return { outcome: "refused", wrong: null };
    return { outcome: "crash", wrong: `not a one-line bundle_error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 400) };
  }
  const same =
    JSON.stringify(b.data) === JSON.stringify(target.original.data) &&
    Buffer.from(b.wasm).equals(Buffer.from(target.original.wasm)) &&
    JSON.stringify(b.manifest) === JSON.stringify(target.original.manifest);
  return same ? { outcome: "loaded unchanged", wrong: null } : { outcome: "loaded altered", wrong: "a damaged bundle passed the signature check with different contents" };
}
