// The OPA bundle service client on a real sidecar: bundles come from a bundle
// server written here (node:http: ETag and 304, long polling with OPA's
// content type, 5xx, corrupt and unsigned answers) and from a directory served
// by a stock static server with ETags (Hono's serve-static behind its etag
// middleware). Decisions run the whole time and none may fail: the last good
// bundle keeps serving. A restart with the service down serves the persisted
// bundle.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve as serveHono } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { etag } from "hono/etag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compiler/index.js";
import { signBundle, writeBundle } from "../../src/policy/bundle.js";
import { loadBundleSigner } from "../../src/policy/signing/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { nextPollDelayMs, OPA_BUNDLE_TYPE } from "../../src/server/bundle-service.js";
import { startTestServer, tempDir } from "./helpers.js";

const POLICY = `package authzen

default decision := false

decision if input.subject.id == "alice"
`;

let tmp: ReturnType<typeof tempDir>;
let secretFile: string;
const bundles: Record<string, Buffer> = {};

async function build(revision: string, signed: boolean): Promise<Buffer> {
  const m = compilePolicy({ sources: [{ file: "p.rego", text: POLICY }], entrypoints: ["authzen/decision"] });
  const bytes = await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision });
  return Buffer.from(signed ? await signBundle(bytes, loadBundleSigner({ keyFile: secretFile, alg: "HS256" })) : bytes);
}

/** A bundle server: one resource, its bytes and ETag changed by the test; `mode` breaks it on purpose. */
class BundleServer {
  bytes: Buffer = Buffer.alloc(0);
  etag = "";
  mode: "ok" | "error" = "ok";
  longPoll = false;
  requests: Array<{ ifNoneMatch: string | undefined; prefer: string | undefined; authorization: string | undefined; status: number }> = [];
  private waiting: Array<() => void> = [];
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  set(bytes: Buffer, tag: string): void {
    this.bytes = bytes;
    this.etag = `"${tag}"`;
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const log = { ifNoneMatch: req.headers["if-none-match"], prefer: req.headers["prefer"] as string | undefined, authorization: req.headers["authorization"], status: 0 };
    this.requests.push(log);
    const type = this.longPoll ? OPA_BUNDLE_TYPE : "application/gzip";
    if (this.mode === "error") {
      log.status = 503;
      res.writeHead(503).end("down for maintenance");
      return;
    }
    const wait = /wait=(\d+)/.exec(log.prefer ?? "");
    if (this.longPoll && wait !== null && log.ifNoneMatch === this.etag) {
      // Held until the bundle changes or the caller's wait runs out, as OPA's long polling does.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Number(wait[1]) * 1000);
        this.waiting.push(() => (clearTimeout(t), resolve()));
      });
    }
    if (log.ifNoneMatch === this.etag) {
      log.status = 304;
      res.writeHead(304, { etag: this.etag, "content-type": type }).end();
      return;
    }
    log.status = 200;
    res.writeHead(200, { etag: this.etag, "content-type": type, "content-length": this.bytes.length }).end(this.bytes);
  }

  close(): Promise<void> {
    for (const wake of this.waiting.splice(0)) wake();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Asks for a decision again and again until stopped; every answer must be a permit. */
function decisionLoop(server: () => RunningServer) {
  let running = true;
  const failures: unknown[] = [];
  let answered = 0;
  const done = (async () => {
    while (running) {
      const res = await fetch(server().url + "/access/v1/evaluation", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ subject: { type: "user", id: "alice" }, action: { name: "read" }, resource: { type: "doc", id: "1" } }),
      });
      const body = (await res.json()) as { decision?: boolean };
      answered++;
      if (res.status !== 200 || body.decision !== true) failures.push(body);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { answered, failures };
    },
  };
}

/** Waits for a condition the sidecar reaches on its own (no time is asserted, only the outcome). */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`never happened: ${what}`);
}

beforeAll(async () => {
  tmp = tempDir("capgate-bundle-service-");
  secretFile = join(tmp.dir, "hmac.secret");
  writeFileSync(secretFile, "a shared secret of enough length for HS256 signing");
  for (const rev of ["r1", "r2", "r3"]) bundles[rev] = await build(rev, true);
  bundles["unsigned"] = await build("unsigned", false);
}, 120_000);

afterAll(() => tmp?.remove());

describe("bundle_service: a bundle server written here", () => {
  const bs = new BundleServer();
  let sidecar: RunningServer;
  const persist = () => join(tmp.dir, "persist-a");

  beforeAll(async () => {
    await bs.start();
    bs.set(bundles["r1"]!, "e1");
  });
  afterAll(async () => {
    await sidecar?.close();
    await bs.close();
  });

  const start = () =>
    startTestServer(tmp.dir, {
      bundle_service: {
        url: bs.url,
        resource: "bundles/authz.tar.gz",
        polling: { min_delay_seconds: 3600, max_delay_seconds: 3600 },
        // OPA's own shape of the credentials.
        credentials: { bearer: { token: "bundle-service-token" } },
        persistence_directory: persist(),
      },
      "bundle_verification.key_file": secretFile,
    });

  it("downloads, then asks with If-None-Match and keeps the bundle on 304; errors, corrupt and unsigned bundles keep the last good one", async () => {
    sidecar = await start();
    await until("first activation", () => sidecar.engine.revision === "r1");
    const loop = decisionLoop(() => sidecar);
    const poll = () => sidecar.bundleService!.pollNow();

    await poll();
    expect(bs.requests.at(-1)).toMatchObject({ ifNoneMatch: '"e1"', status: 304, authorization: "Bearer bundle-service-token" });
    expect(sidecar.bundleService!.status()).toMatchObject({ name: "bundles/authz.tar.gz", active_revision: "r1", http_code: 304 });

    bs.set(bundles["r2"]!, "e2");
    await poll();
    expect(sidecar.engine.revision).toBe("r2");

    bs.mode = "error";
    await poll();
    expect(sidecar.bundleService!.status()).toMatchObject({ active_revision: "r2", http_code: 503, errors: [expect.stringContaining("server answered 503")] });
    bs.mode = "ok";

    bs.set(Buffer.from("\x1f\x8bnot really a gzip stream"), "corrupt");
    await poll();
    expect(sidecar.bundleService!.status().errors?.[0]).toMatch(/bundle_error/);
    bs.set(bundles["unsigned"]!, "unsigned");
    await poll();
    expect(sidecar.bundleService!.status().errors?.[0]).toMatch(/signature|signed/i);
    expect(sidecar.engine.revision).toBe("r2");

    bs.set(bundles["r3"]!, "e3");
    // What SIGHUP runs: the service is asked at once.
    await sidecar.reload();
    expect(sidecar.engine.revision).toBe("r3");
    expect(sidecar.bundleService!.status().errors).toBeUndefined();

    const { answered, failures } = await loop.stop();
    console.log(`bundle service (ETag/304/503/corrupt/unsigned): ${answered} decisions during the changes, ${failures.length} failed`);
    expect(failures).toEqual([]);
    await sidecar.close();
  });

  it("serves the persisted bundle after a restart while the service is down", async () => {
    bs.mode = "error";
    sidecar = await start();
    // Loaded before startServer resolved: no download was needed.
    expect(sidecar.engine.revision).toBe("r3");
    const loop = decisionLoop(() => sidecar);
    await sidecar.bundleService!.pollNow();
    expect(sidecar.bundleService!.status()).toMatchObject({ active_revision: "r3", errors: [expect.stringContaining("503")] });
    const { failures } = await loop.stop();
    expect(failures).toEqual([]);
    bs.mode = "ok";
    await sidecar.bundleService!.pollNow();
    // The persisted ETag went with the bundle: the service answers 304.
    expect(bs.requests.at(-1)).toMatchObject({ ifNoneMatch: '"e3"', status: 304 });
    await sidecar.close();
  });

  it("verifies the persisted bundle as any other: one altered on disk is refused at restart", async () => {
    const pointer = JSON.parse(readFileSync(join(persist(), "current.json"), "utf8")) as { file: string };
    writeFileSync(join(persist(), pointer.file), bundles["unsigned"]!);
    bs.mode = "error";
    sidecar = await start();
    expect(sidecar.engine.loaded).toBe(false);
    const res = await fetch(sidecar.url + "/access/v1/evaluation", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ subject: { type: "user", id: "alice" }, action: { name: "read" }, resource: { type: "doc", id: "1" } }),
    });
    expect(await res.json()).toMatchObject({ decision: false, context: { error: { status: 503 } } });
    bs.mode = "ok";
    await sidecar.bundleService!.pollNow();
    expect(sidecar.engine.revision).toBe("r3");
    await sidecar.close();
  });
});

describe("bundle_service: long polling", () => {
  const bs = new BundleServer();
  let sidecar: RunningServer;

  afterAll(async () => {
    await sidecar?.close();
    await bs.close();
  });

  it("waits on the server when it answers with OPA's content type, and activates a change without a poll interval", async () => {
    await bs.start();
    bs.longPoll = true;
    bs.set(bundles["r1"]!, "l1");
    sidecar = await startTestServer(tmp.dir, {
      bundle_service: {
        url: bs.url,
        resource: "b.tar.gz",
        // An hour between ordinary polls: only long polling can bring the change.
        polling: { min_delay_seconds: 3600, max_delay_seconds: 3600, long_polling_timeout_seconds: 30 },
        persistence_directory: join(tmp.dir, "persist-long"),
      },
    });
    await until("first activation", () => sidecar.engine.revision === "r1");
    await until("a held request", () => bs.requests.some((r) => r.ifNoneMatch === '"l1"'));
    expect(bs.requests.at(-1)!.prefer).toBe("wait=30");
    const loop = decisionLoop(() => sidecar);
    bs.set(bundles["r2"]!, "l2");
    await until("r2 activated by the held request", () => sidecar.engine.revision === "r2");
    const { failures } = await loop.stop();
    expect(failures).toEqual([]);
  });
});

describe("bundle_service: a directory behind a stock static server with ETags", () => {
  let sidecar: RunningServer;
  let statusCodes: number[] = [];
  let close: () => Promise<void>;

  afterAll(async () => {
    await sidecar?.close();
    await close?.();
  });

  it("downloads the file, gets 304 for an unchanged one, and activates a replaced one", async () => {
    const root = join(tmp.dir, "static");
    mkdirSync(join(root, "bundles"), { recursive: true });
    writeFileSync(join(root, "bundles", "app.tar.gz"), bundles["r1"]!);
    const app = new Hono();
    app.use("*", async (c, next) => {
      await next();
      statusCodes.push(c.res.status);
    });
    app.use("*", etag());
    app.use("*", serveStatic({ root }));
    const server = serveHono({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    sidecar = await startTestServer(tmp.dir, {
      bundle_service: { url, resource: "bundles/app.tar.gz", polling: { min_delay_seconds: 3600, max_delay_seconds: 3600 }, persistence_directory: join(tmp.dir, "persist-static") },
    });
    await until("first activation", () => sidecar.engine.revision === "r1");
    statusCodes = [];
    await sidecar.bundleService!.pollNow();
    expect(statusCodes).toEqual([304]);
    writeFileSync(join(root, "bundles", "app.tar.gz"), bundles["r2"]!);
    await sidecar.bundleService!.pollNow();
    expect(statusCodes).toEqual([304, 200]);
    expect(sidecar.engine.revision).toBe("r2");
  });
});

describe("bundle_service: polling delays", () => {
  const polling = { min_delay_seconds: 10, max_delay_seconds: 60 };
  it("polls between min and max, at once after a long poll, and backs off exponentially up to max on errors", () => {
    expect(nextPollDelayMs(polling, 0, false, () => 0)).toBe(10_000);
    expect(nextPollDelayMs(polling, 0, false, () => 1)).toBe(60_000);
    expect(nextPollDelayMs(polling, 0, true)).toBe(0);
    expect([1, 2, 3, 4, 5].map((f) => nextPollDelayMs(polling, f, true, () => 1))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    // Jitter takes at most half away.
    expect(nextPollDelayMs(polling, 2, false, () => 0)).toBe(10_000);
  });
});
