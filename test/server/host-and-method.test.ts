// The sidecar's HTTP edge (issue 14, defects 6 and 7) over real HTTP: a Host
// header naming no address of the sidecar (DNS rebinding) is refused with 421
// and the JSON error shape, whatever the route, while the bound address,
// localhost and allowed_hosts are answered; a known route asked with the wrong
// method answers 405 with an Allow header, an unknown one still 404.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { loadConfig } from "../../src/server/config.js";
import { hostCheck } from "../../src/server/http/host-check.js";
import type { RunningServer } from "../../src/server/server.js";
import { hardeningFixture, type HardeningFixture } from "./hardening-fixture.js";
import { startTestServer } from "./helpers.js";

let fx: HardeningFixture;
let server: RunningServer;
let listed: RunningServer;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

/** One request with exactly the Host header given (fetch would set its own). */
function send(s: RunningServer, method: string, path: string, host: string | null, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (host !== null) headers["host"] = host;
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (text !== undefined) headers["content-type"] = "application/json";
    const req = request({ host: "127.0.0.1", port: s.port, method, path, headers, setHost: host !== null }, (res) => {
      let data = "";
      res.on("data", (d: Buffer) => (data += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: data === "" ? {} : (JSON.parse(data) as Record<string, unknown>) }));
    });
    req.on("error", reject);
    req.end(text);
  });
}

const MFA = { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "u-alice" } };

beforeAll(async () => {
  fx = await hardeningFixture("host_method");
  server = await startTestServer(fx.dir, { replica: fx.replica, bundle: fx.bundle });
  listed = await startTestServer(fx.dir, { replica: fx.replica, bundle: fx.bundle, allowed_hosts: ["capgate.internal", "sidecar.local:9999"] });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await listed?.close();
  await fx?.remove();
});

describe("Host header (DNS rebinding)", () => {
  it("refuses a foreign Host with 421 and the JSON error shape, on every route", async () => {
    for (const [method, path, body] of [["POST", "/decide", MFA], ["GET", "/ready"], ["GET", "/metrics"], ["POST", "/v1/data/capgate/mfa/requirement", { input: MFA.input }]] as const) {
      const r = await send(server, method, path, "evil.example.com", body);
      expect(r.status, `${method} ${path}`).toBe(421);
      expect(r.json).toEqual({ error: { code: "invalid_input", message: expect.stringContaining("evil.example.com"), details: { field: "host", problem: "misdirected_host" } } });
    }
  });

  it("refuses near misses: another port, another loopback address, a suffix trick, no Host at all", async () => {
    for (const host of [`127.0.0.1:${server.port + 1}`, "127.0.0.1", `127.0.0.2:${server.port}`, `localhost.evil.example.com:${server.port}`, `[::1]:${server.port}`])
      expect((await send(server, "POST", "/decide", host, MFA)).status, host).toBe(421);
    // Node refuses an HTTP/1.1 request without Host itself (400); the check would refuse it otherwise.
    expect([400, 421]).toContain((await send(server, "POST", "/decide", null, MFA)).status);
  });

  it("answers the bound address and localhost with the bound port, in any letter case", async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LocalHost:${server.port}`]) {
      const r = await send(server, "POST", "/decide", host, MFA);
      expect(r.status, host).toBe(200);
      expect(r.json).toMatchObject({ decision: "mfa.requirement" });
    }
  });

  it("answers /health whatever the Host (probes cannot choose it)", async () => {
    expect((await send(server, "GET", "/health", "10.1.2.3:8181")).status).toBe(200);
  });

  it("answers the names in allowed_hosts: a bare name on any port, name:port on that port only", async () => {
    expect((await send(listed, "POST", "/decide", "capgate.internal", MFA)).status).toBe(200);
    expect((await send(listed, "POST", "/decide", "capgate.internal:1234", MFA)).status).toBe(200);
    expect((await send(listed, "POST", "/decide", "sidecar.local:9999", MFA)).status).toBe(200);
    expect((await send(listed, "POST", "/decide", "sidecar.local:9998", MFA)).status).toBe(421);
    expect((await send(listed, "POST", "/decide", "evil.example.com", MFA)).status).toBe(421);
  });

  it("refuses an allowed_hosts entry that is no host name, naming the setting", () => {
    expect(() => loadConfig({ flags: { allowed_hosts: ["http://x.example/"] } })).toThrow(/allowed_hosts\.0: must be a host name/);
    expect(loadConfig({ env: { CAPGATE_ALLOWED_HOSTS: "a.example, b.example:80" } }).allowed_hosts).toEqual(["a.example", "b.example:80"]);
  });
});

describe("Host check on its own", () => {
  it("judges a Host it accepted before again once the bound port is another, and a refused one every time", async () => {
    let port = 8181;
    const app = new Hono();
    app.onError((e, c) => c.text(e.message, 421));
    app.use("*", hostCheck({ boundHost: "127.0.0.1", port: () => port, allowedHosts: [] }));
    app.get("/x", (c) => c.text("ok"));
    const status = async (host: string): Promise<number> => (await app.request("/x", { headers: { host } })).status;
    expect(await status("localhost:8181")).toBe(200);
    expect(await status("localhost:8181")).toBe(200);
    expect(await status("evil.example.com")).toBe(421);
    expect(await status("evil.example.com")).toBe(421);
    port = 9191;
    expect(await status("localhost:8181")).toBe(421);
    expect(await status("localhost:9191")).toBe(200);
  });
});

describe("wrong method on a known route", () => {
  const host = () => `127.0.0.1:${server.port}`;

  it.each([
    ["GET", "/decide", "POST"],
    ["PUT", "/decide", "POST"],
    ["DELETE", "/mfa/totp/verify", "POST"],
    ["GET", "/v1/data/capgate/token/issue", "POST"],
    ["POST", "/health", "GET, HEAD"],
    ["DELETE", "/ready", "GET, HEAD"],
    ["POST", "/metrics", "GET, HEAD"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const r = await send(server, method, path, host());
    expect(r.status).toBe(405);
    expect(r.headers["allow"]).toBe(allow);
    expect(r.json).toEqual({ error: { code: "invalid_input", message: expect.stringContaining(`${method} is not allowed`), details: { field: "method", problem: "method_not_allowed" } } });
  });

  it("still answers 404 for a path no route has, and HEAD on a GET route", async () => {
    const r = await send(server, "GET", "/nope", host());
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: { details: { problem: "unknown_route" } } });
    expect((await send(server, "HEAD", "/health", host())).status).toBe(200);
  });
});
