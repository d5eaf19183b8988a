// A sidecar whose primary cannot be reached: it starts and serves anyway (its
// decisions never need the primary), and each TOTP request answers one-line
// database_error instead, the sidecar staying up. The primary is opened with
// src/primary's openPrimary without connecting at open (src/server/server.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { newEncryptionKey, post, startTestServer, tempDir, writeSigningKey } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let sidecar: RunningServer;

beforeAll(async () => {
  tmp = tempDir("capgate-primary-unreachable-");
  // Nothing listens on port 1: every connection attempt is refused at once.
  sidecar = await startTestServer(tmp.dir, {
    database_url: "postgres://capgate@127.0.0.1:1/none",
    totp: { encryption_key: newEncryptionKey() },
    assertion: { signing_key_file: await writeSigningKey(tmp.dir) },
  });
});

afterAll(async () => {
  await sidecar?.close();
  tmp?.remove();
});

describe("a primary that cannot be reached", () => {
  it("does not stop start-up: the sidecar answers /health", async () => {
    expect((await fetch(`${sidecar.url}/health`)).status).toBe(200);
  });

  it("fails each TOTP request with a one-line database_error, and the sidecar serves on", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await post(sidecar.url, "/mfa/totp/verify", { tenant_id: "acme", user_id: "u-alice", code: "123456" });
      expect(r.status).toBe(500);
      const error = r.json["error"] as { code: string; message: string };
      expect(error.code).toBe("database_error");
      expect(error.message).toMatch(/failed on the primary/);
      expect(error.message).not.toContain("\n");
    }
    expect((await fetch(`${sidecar.url}/health`)).status).toBe(200);
  });
});
