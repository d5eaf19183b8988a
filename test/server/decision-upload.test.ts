// Decision-log upload against a log service written here (node:http): events
// arrive gzip-compressed as JSON arrays in OPA's shape with secrets masked; a
// slow service holds an upload while decisions keep being answered; a service
// that is down loses nothing but what the bounded buffer drops (counted); once
// it is back, everything kept arrives (uploaded + dropped = decisions made).
// max_decisions_per_second drops and counts beyond the rate. The local
// decision log keeps every line.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let bundle: string;

/** A decision-log service: collects events; `hold` keeps answers back until released; stop/start take it down and up on the same port. */
class LogService {
  events: Array<Record<string, any>> = [];
  encodings: string[] = [];
  authorizations: Array<string | undefined> = [];
  private held: Array<() => void> = [];
  hold = false;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const answer = () => {
          this.encodings.push(String(req.headers["content-encoding"]));
          this.authorizations.push(req.headers.authorization);
          this.events.push(...(JSON.parse(gunzipSync(Buffer.concat(parts)).toString("utf8")) as Array<Record<string, any>>));
          res.writeHead(204).end();
        };
        if (this.hold) this.held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  release(): void {
    this.hold = false;
    for (const a of this.held.splice(0)) a();
  }

  async stop(): Promise<void> {
    this.server!.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

async function decide(s: RunningServer, n: number, context: Record<string, unknown> = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(s.url + "/access/v1/evaluation", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ subject: { type: "user", id: "alice" }, action: { name: "read" }, resource: { type: "doc", id: String(i) }, context }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ decision: true });
  }
}

beforeAll(async () => {
  tmp = tempDir("capgate-decision-upload-");
  const m = compilePolicy({ sources: [{ file: "p.rego", text: 'package authzen\n\ndecision := input.subject.id == "alice"\n' }], entrypoints: ["authzen/decision"] });
  bundle = join(tmp.dir, "authz.tar.gz");
  writeFileSync(bundle, await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: "rev-7" }));
}, 120_000);

afterAll(() => tmp?.remove());

describe("decision_logs upload", () => {
  const service = new LogService();
  let sidecar: RunningServer & { decisionLogFile: string };

  beforeAll(async () => {
    await service.start();
    sidecar = await startTestServer(tmp.dir, {
      bundle,
      decision_logs: {
        url: service.url,
        min_delay_seconds: 3600,
        max_delay_seconds: 3600,
        upload_size_limit_bytes: 4096,
        buffer_size_limit_bytes: 20_000,
        credentials: { bearer: "decision-log-token" },
      },
    });
  });
  afterAll(async () => {
    await sidecar?.close();
    await service.stop().catch(() => undefined);
  });

  it("uploads gzip JSON arrays of OPA-shaped events with secrets masked", async () => {
    await decide(sidecar, 10, { password: "hunter2" });
    await sidecar.decisionUpload!.uploadNow();
    expect(service.events).toHaveLength(10);
    expect(new Set(service.encodings)).toEqual(new Set(["gzip"]));
    expect(new Set(service.authorizations)).toEqual(new Set(["Bearer decision-log-token"]));
    const e = service.events[0]!;
    expect(e).toMatchObject({
      path: "authzen/evaluation",
      input: { subject: { id: "alice" }, context: { password: "[masked]" } },
      result: { decision: true },
      bundles: { "authz.tar.gz": { revision: "rev-7" } },
      labels: { type: "capgate" },
    });
    expect(e["decision_id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(e["timestamp"])).not.toBeNaN();
    expect(e["metrics"].timer_server_handler_ns).toBeGreaterThan(0);
    // Chunks respect upload_size_limit_bytes: 10 events of ~400 bytes took more than one upload.
    expect(service.encodings.length).toBeGreaterThan(1);
  });

  it("keeps answering while a slow service holds an upload, down, and back; losses are bounded and counted", async () => {
    service.events = [];
    const before = sidecar.decisionUpload!.stats();

    // Slow: the upload waits on the service; decisions do not.
    service.hold = true;
    await decide(sidecar, 5);
    const slow = sidecar.decisionUpload!.uploadNow();
    await decide(sidecar, 5);
    service.release();
    await slow;

    // Down: nothing listens; 300 decisions (~120 kB of events) meet a 20 kB buffer.
    await service.stop();
    await decide(sidecar, 300);
    await sidecar.decisionUpload!.uploadNow();
    const down = sidecar.decisionUpload!.stats();
    console.log(`decision upload while down: ${JSON.stringify(down)}`);
    expect(down.consecutive_failures).toBeGreaterThan(0);
    expect(down.buffered_bytes).toBeLessThanOrEqual(20_000);
    expect(down.dropped.buffer_full).toBeGreaterThan(0);

    // Back: everything kept arrives.
    await service.start();
    await sidecar.decisionUpload!.uploadNow();
    const back = sidecar.decisionUpload!.stats();
    expect(back).toMatchObject({ buffered: 0, consecutive_failures: 0 });
    const made = 310;
    const lost = back.dropped.buffer_full - before.dropped.buffer_full;
    console.log(`decision upload slow/down/back: ${made} decisions, ${service.events.length} uploaded, ${lost} dropped (counted)`);
    expect(service.events.length + lost).toBe(made);
    // The newest events are the ones kept.
    expect(service.events.at(-1)!["input"].resource.id).toBe("299");

    await sidecar.decisionLog.flush();
    const lines = readFileSync(sidecar.decisionLogFile, "utf8").trim().split("\n");
    expect(lines).toHaveLength(320);
  });
});

describe("decision_logs max_decisions_per_second", () => {
  it("drops and counts events past the rate", async () => {
    const service = new LogService();
    await service.start();
    // A clock that stands still: the bucket never refills, so exactly the first 5 pass.
    const sidecar = await startTestServer(
      tmp.dir,
      { bundle, decision_logs: { url: service.url, min_delay_seconds: 3600, max_delay_seconds: 3600, max_decisions_per_second: 5 } },
      { clock: () => 1_800_000_000_000 },
    );
    try {
      await decide(sidecar, 50);
      await sidecar.decisionUpload!.uploadNow();
      expect(service.events).toHaveLength(5);
      expect(sidecar.decisionUpload!.stats().dropped.rate_limited).toBe(45);
    } finally {
      await sidecar.close();
      await service.stop();
    }
  });
});

describe("decision_logs with the policy's system.log rules", () => {
  it("drops what system.log.drop says and erases or upserts what system.log.mask names", async () => {
    const m = compilePolicy({
      sources: [
        { file: "p.rego", text: 'package authzen\n\ndecision := input.subject.id == "alice"\n' },
        {
          file: "log.rego",
          text: `package system.log

drop if input.input.action.name == "ping"

mask contains "/input/context/ssn"

mask contains {"op": "upsert", "path": "/input/subject/properties/email", "value": "**@**"}

mask contains "/input/absent"
`,
        },
      ],
      entrypoints: ["authzen/decision", "system/log/drop", "system/log/mask"],
    });
    const masked = join(tmp.dir, "masked.tar.gz");
    writeFileSync(masked, await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision: "m1" }));
    const service = new LogService();
    await service.start();
    const sidecar = await startTestServer(tmp.dir, { bundle: masked, decision_logs: { url: service.url, min_delay_seconds: 3600, max_delay_seconds: 3600 } });
    try {
      const ask = (action: string) =>
        fetch(sidecar.url + "/access/v1/evaluation", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ subject: { type: "user", id: "alice", properties: { email: "alice@example.com" } }, action: { name: action }, resource: { type: "doc", id: "1" }, context: { ssn: "123-45-6789", ip: "10.0.0.1" } }),
        });
      await ask("read");
      await ask("ping");
      await sidecar.decisionUpload!.uploadNow();
      expect(service.events).toHaveLength(1);
      const e = service.events[0]!;
      expect(e["input"]).toEqual({ subject: { type: "user", id: "alice", properties: { email: "**@**" } }, action: { name: "read" }, resource: { type: "doc", id: "1" }, context: { ip: "10.0.0.1" } });
      expect(e["erased"]).toEqual(["/input/context/ssn"]);
      expect(e["masked"]).toEqual(["/input/subject/properties/email"]);
      expect(sidecar.decisionUpload!.stats().dropped.by_policy).toBe(1);
    } finally {
      await sidecar.close();
      await service.stop();
    }
  });
});
