// Status reports (OPA's status API shape) from a sidecar whose bundle comes
// from a bundle service: the report carries the service's bundle status
// (errors and HTTP code while it fails; active_revision,
// last_successful_activation and last_successful_download once it answers)
// and the same plugin states as /health?plugins (decision_logs included); a
// change of either is reported without waiting for the interval.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import type { StatusReport } from "../../src/server/status-reporter.js";
import { startTestServer, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let bundleBytes: Buffer;

beforeAll(async () => {
  tmp = tempDir("capgate-status-bs-");
  const m = compilePolicy({ sources: [{ file: "p.rego", text: "package authzen\n\ndecision := true\n" }], entrypoints: ["authzen/decision"] });
  bundleBytes = Buffer.from(await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: "s1" }));
}, 120_000);

afterAll(() => tmp?.remove());

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`never happened: ${what}`);
}

it("reports the bundle service's errors, then its activation, with every plugin's state", async () => {
  let up = false;
  const reports: StatusReport[] = [];
  const service = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      if (req.url === "/status") {
        reports.push(JSON.parse(text) as StatusReport);
        return void res.writeHead(204).end();
      }
      if (!up) return void res.writeHead(503).end();
      if (req.url === "/logs") return void res.writeHead(204).end();
      res.writeHead(200, { etag: '"s1"' }).end(bundleBytes);
    });
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  const s = await startTestServer(tmp.dir, {
    bundle_service: { url, resource: "b.tar.gz", polling: { min_delay_seconds: 3600, max_delay_seconds: 3600 }, persistence_directory: join(tmp.dir, "p") },
    decision_logs: { url, min_delay_seconds: 3600, max_delay_seconds: 3600 },
    status: { url, interval_seconds: 3600 },
  });
  try {
    await until("a report naming the download error", () => reports.some((r) => r.bundles["b.tar.gz"]?.errors !== undefined));
    const failing = reports.find((r) => r.bundles["b.tar.gz"]?.errors !== undefined)!;
    expect(failing.bundles["b.tar.gz"]).toMatchObject({ name: "b.tar.gz", http_code: 503, errors: [expect.stringContaining("503")] });
    expect(failing.bundles["b.tar.gz"]!.active_revision).toBeUndefined();
    expect(failing.plugins).toMatchObject({ bundle: { state: "NOT_READY" }, decision_logs: { state: "OK" }, status: { state: "OK" } });

    up = true;
    await s.bundleService!.pollNow();
    await until("a report of the activation", () => reports.at(-1)?.bundles["b.tar.gz"]?.active_revision === "s1");
    const active = reports.at(-1)!;
    expect(active.bundles["b.tar.gz"]).toMatchObject({ active_revision: "s1", http_code: 200 });
    expect(Date.parse(active.bundles["b.tar.gz"]!.last_successful_activation!)).not.toBeNaN();
    expect(Date.parse(active.bundles["b.tar.gz"]!.last_successful_download!)).not.toBeNaN();
    expect(active.bundles["b.tar.gz"]!.errors).toBeUndefined();
    expect(active.plugins["bundle"]).toEqual({ state: "OK" });
    expect(active.capgate.replica).toEqual({ status: "missing", version: null, age_seconds: null });
  } finally {
    await s.close();
    service.closeAllConnections();
    await new Promise((resolve) => service.close(resolve));
  }
});
