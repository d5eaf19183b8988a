// The sidecar the HTTP fuzz classes are aimed at: a real server on an
// ephemeral loopback port with the compiled policies, a SQLite replica of the
// demo data built from a real primary (CAPGATE_TEST_DATABASE_URL), and TOTP
// wired to that primary, so fuzzed requests reach the policy, the replica and
// the TOTP store rather than stopping at "not configured".
import { join } from "node:path";
import type { RunningServer } from "../../src/server/server.js";
import { buildReplica, buildTestBundle, createTestPrimary, newEncryptionKey, startTestServer, tempDir, writeSigningKey } from "../server/helpers.js";

export interface FuzzTarget {
  server: RunningServer;
  url: URL;
  close(): Promise<void>;
}

export async function startFuzzTarget(name: string): Promise<FuzzTarget> {
  const tmp = tempDir("capgate-fuzz-");
  const db = await createTestPrimary(name);
  try {
    const replica = await buildReplica(db.primary, tmp.dir);
    const bundle = await buildTestBundle(join(tmp.dir, "policy.tar.gz"), "fuzz");
    const server = await startTestServer(tmp.dir, {
      bundle,
      replica,
      database_url: db.url,
      "totp.encryption_key": newEncryptionKey(),
      "assertion.signing_key_file": await writeSigningKey(tmp.dir),
      max_body_bytes: 256 * 1024,
    });
    return {
      server,
      url: new URL(server.url),
      async close() {
        await server.close();
        await db.drop();
        tmp.remove();
      },
    };
  } catch (e) {
    await db.drop();
    tmp.remove();
    throw e;
  }
}
