// Policy bundles over NATS (real server, real sidecar, real Wasm): `capgate
// policy publish` puts a bundle in the fleet's object store, a sidecar with
// bundle_source: nats loads it; with bundle_verification configured, an
// unsigned bundle is refused and the last good one keeps serving; garbage is
// refused by publish with one line.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signBundle } from "../../src/policy/bundle.js";
import { loadBundleSigner } from "../../src/policy/signing/index.js";
import { buildTestBundle, post, startTestServer } from "../server/helpers.js";
import { eventually, NATS_URL, runCapgate, useFleet } from "./helpers.js";

const fleet = useFleet("bundles");

async function publish(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = runCapgate(["policy", "publish", file, "--nats", NATS_URL, "--stream", fleet.stream]);
  await new Promise<void>((r) => c.proc.once("exit", () => r()));
  return { code: c.proc.exitCode, stdout: c.stdout(), stderr: c.stderr() };
}

describe("policy bundles over NATS", () => {
  it("publish, hot-reload with signature check, last good kept, garbage refused", async () => {
    fleet.relay();
    const dir = fleet.tp.dir;
    const secret = join(dir, "bundle-secret");
    writeFileSync(secret, randomBytes(32).toString("hex"));
    const signer = loadBundleSigner({ keyFile: secret, alg: "HS256" });
    const r1 = await buildTestBundle(join(dir, "r1.tar.gz"), "r1");
    writeFileSync(join(dir, "r1-signed.tar.gz"), await signBundle(readFileSync(r1), signer));
    const r2 = await buildTestBundle(join(dir, "r2.tar.gz"), "r2");

    const server = await startTestServer(dir, {
      replica: join(dir, "sidecar.db"),
      "sync.nats_url": NATS_URL,
      "sync.stream": fleet.stream,
      bundle_source: "nats",
      "bundle_verification.key_file": secret,
    });
    try {
      const revision = async (): Promise<unknown> =>
        (await post(server.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "t2", user_id: "u1" } })).json["policy_revision"];
      expect(await revision()).toBeNull();

      const ok = await publish(join(dir, "r1-signed.tar.gz"));
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/published .*r1-signed.tar.gz to .*_bundles: revision r1, \d+ bytes, sha256 [0-9a-f]{64}, signed/);
      await eventually(async () => (await revision()) === "r1", "sidecar loads the published bundle");

      const unsigned = await publish(r2);
      expect(unsigned.code).toBe(0);
      await eventually(async () => /capgate_reloads_total\{kind="bundle",outcome="refused"\} 1/.test(await (await fetch(server.url + "/metrics")).text()), "unsigned bundle refused");
      expect(await revision()).toBe("r1");

      const garbage = join(dir, "garbage.tar.gz");
      writeFileSync(garbage, "not a bundle at all");
      const bad = await publish(garbage);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
      expect(bad.stderr).toMatch(/garbage.tar.gz: not a policy bundle/);
      expect(await revision()).toBe("r1");
    } finally {
      await server.close();
    }
  });
});
