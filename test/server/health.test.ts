// GET /health with OPA's semantics on real sidecars: plain, it answers while
// the process serves; ?bundles waits for every configured bundle's first
// activation (a bundle service that is down keeps it at 500 until it answers);
// ?plugins needs every configured plugin OK (bundle, decision_logs, replica),
// exclude-plugin leaving one out.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let bundleBytes: Buffer;
let bundle: string;
const servers: RunningServer[] = [];

async function health(s: RunningServer, query = ""): Promise<{ status: number; json: any }> {
  const res = await fetch(`${s.url}/health${query}`);
  return { status: res.status, json: await res.json() };
}

async function serve(flags: Record<string, unknown>): Promise<RunningServer> {
  const s = await startTestServer(tmp.dir, flags);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  tmp = tempDir("capgate-health-");
  const m = compilePolicy({ sources: [{ file: "p.rego", text: "package authzen\n\ndecision := true\n" }], entrypoints: ["authzen/decision"] });
  bundleBytes = Buffer.from(await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: "h1" }));
  bundle = join(tmp.dir, "h.tar.gz");
  writeFileSync(bundle, bundleBytes);
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  tmp?.remove();
});

describe("GET /health", () => {
  it("answers 200 for a loaded bundle, and 500 naming what is missing otherwise", async () => {
    const good = await serve({ bundle });
    expect(await health(good)).toEqual({ status: 200, json: { status: "ok" } });
    expect((await health(good, "?bundles")).status).toBe(200);
    expect((await health(good, "?plugins")).status).toBe(200);

    const bad = await serve({ bundle: join(tmp.dir, "absent.tar.gz"), replica: join(tmp.dir, "absent.db") });
    expect((await health(bad)).status).toBe(200);
    expect(await health(bad, "?bundles")).toEqual({ status: 500, json: { error: { code: "unhealthy", message: "bundle(s) not activated yet: absent.tar.gz" } } });
    const plugins = await health(bad, "?plugins");
    expect(plugins.status).toBe(500);
    expect(plugins.json.error.message).toBe("plugin(s) not OK: bundle NOT_READY (no policy bundle loaded); replica NOT_READY (replica missing)");
    expect((await health(bad, "?plugins&exclude-plugin=bundle&exclude-plugin=replica")).status).toBe(200);
  });

  it("?bundles waits for a bundle service's first activation; ?plugins reports failing decision-log uploads", async () => {
    let up = false;
    const service = createServer((req, res) => {
      if (!up) return void res.writeHead(503).end();
      if (req.url === "/logs") return void req.resume().on("end", () => res.writeHead(204).end());
      res.writeHead(200, { etag: '"h1"' }).end(bundleBytes);
    });
    await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    try {
      const s = await serve({
        bundle_service: { url, resource: "b.tar.gz", polling: { min_delay_seconds: 3600, max_delay_seconds: 3600 }, persistence_directory: join(tmp.dir, "p-health") },
        decision_logs: { url, min_delay_seconds: 3600, max_delay_seconds: 3600 },
      });
      await s.bundleService!.pollNow();
      expect(await health(s, "?bundles")).toMatchObject({ status: 500, json: { error: { message: "bundle(s) not activated yet: b.tar.gz" } } });
      await fetch(`${s.url}/access/v1/evaluation`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"subject":{"type":"u","id":"a"},"action":{"name":"r"},"resource":{"type":"d","id":"1"}}' });
      await s.decisionUpload!.uploadNow();
      const plugins = await health(s, "?plugins");
      expect(plugins.status).toBe(500);
      expect(plugins.json.error.message).toMatch(/^plugin\(s\) not OK: bundle NOT_READY \(.*503.*\); decision_logs ERROR \(.*503\)$/);

      up = true;
      await s.bundleService!.pollNow();
      await s.decisionUpload!.uploadNow();
      expect((await health(s, "?bundles")).status).toBe(200);
      expect((await health(s, "?plugins")).status).toBe(200);
    } finally {
      service.closeAllConnections();
      await new Promise((resolve) => service.close(resolve));
    }
  });
});
