// The sidecar's status reports (src/server/status-reporter.ts) as a control
// plane receives them over real HTTP: the OPA-shaped report at start, the
// decisions of a window with their deny rate, a report on a new bundle, and
// decisions that keep being answered — and counted into the next delivered
// report — while the control plane hangs or is down.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapgateErrors } from "../../src/errors.js";
import { loadConfig } from "../../src/server/config.js";
import type { StatusReport } from "../../src/server/status-reporter.js";
import type { RunningServer } from "../../src/server/server.js";
import { buildReplica, buildTestBundle, createTestPrimary, post, startTestServer, tempDir, type TestPrimary } from "../server/helpers.js";
import { waitFor } from "./wait.js";

const ALLOWED = { tenant_id: "globex", user_id: "u-carol", token_type: "access", auth: { methods: ["pwd"] } };
const DENIED = { tenant_id: "acme", user_id: "u-bob", token_type: "access", auth: { methods: ["pwd"] } };

/** A control plane's receiving end: records each POST /status body; `mode` says how it answers. */
class Receiver {
  reports: { body: StatusReport; authorization: string | undefined }[] = [];
  mode: "ok" | "hang" = "ok";
  private hung: ServerResponse[] = [];
  private server: Server | null = null;
  port = 0;

  async listen(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    if (this.mode === "hang") {
      this.hung.push(res);
      return;
    }
    if (req.method === "POST" && req.url === "/status") this.reports.push({ body: JSON.parse(text) as StatusReport, authorization: req.headers.authorization });
    res.writeHead(204).end();
  }

  async close(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.hung = [];
    const s = this.server;
    this.server = null;
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  last(): StatusReport {
    const r = this.reports.at(-1);
    if (r === undefined) throw new Error("no report yet");
    return r.body;
  }
}

let tmp: ReturnType<typeof tempDir>;
let db: TestPrimary;
let replica: string;
let bundle: string;
const receiver = new Receiver();
const started: RunningServer[] = [];

beforeAll(async () => {
  tmp = tempDir("capgate-status-");
  db = await createTestPrimary("status_reporter");
  replica = await buildReplica(db.primary, tmp.dir);
  bundle = await buildTestBundle(join(tmp.dir, "bundle.tar.gz"), "rev-1");
  await receiver.listen();
});

afterAll(async () => {
  for (const s of started) await s.close();
  await receiver.close();
  await db?.drop();
  tmp?.remove();
});

async function sidecar(status: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const s = await startTestServer(tmp.dir, { replica, bundle, status, ...extra }, { watchIntervalMs: 50 });
  started.push(s);
  return s;
}

const decide = (url: string, input: object) => post(url, "/decide", { decision: "token.issue", input });

describe("status reports", () => {
  it("reports at start in OPA's shape, with the bearer, the revision and the replica", async () => {
    const s = await sidecar({ url: `http://127.0.0.1:${receiver.port}/`, bearer: "sidecar-token-0123456789", interval_seconds: 3600, id: "app-1" });
    await waitFor(() => receiver.reports.some((r) => r.body.labels.id === "app-1"));
    const first = receiver.reports.find((r) => r.body.labels.id === "app-1")!;
    expect(first.authorization).toBe("Bearer sidecar-token-0123456789");
    const report = first.body;
    expect(report.labels).toEqual({ id: "app-1", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(report.bundles["bundle.tar.gz"]).toEqual({
      name: "bundle.tar.gz",
      active_revision: "rev-1",
      last_successful_activation: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(report.plugins).toEqual({ bundle: { state: "OK" }, replica: { state: "OK" }, status: { state: "OK" } });
    expect(report.capgate.replica).toMatchObject({ status: "current", version: s.facts()!.state().version });
    expect(report.capgate.decisions_per_second).toBe(0);
    expect(report.capgate.deny_rate).toBeNull();
    await s.close();
  });

  it("counts the window's decisions per decision name, with the deny rate, and reports a new bundle", async () => {
    const s = await sidecar({ url: `http://127.0.0.1:${receiver.port}`, interval_seconds: 1, id: "app-2" }, { watch: true });
    for (const input of [ALLOWED, ALLOWED, ALLOWED, DENIED]) await decide(s.url, input);
    await post(s.url, "/decide", { decision: "mfa.requirement", input: { tenant_id: "acme", user_id: "u-bob" } });
    const mine = () => receiver.reports.filter((r) => r.body.labels.id === "app-2").map((r) => r.body);
    await waitFor(() => mine().reduce((n, r) => n + (r.capgate.decisions["token.issue"]?.count ?? 0), 0) === 4);
    const issue = mine().map((r) => r.capgate.decisions["token.issue"]).filter((d) => d !== undefined && d.count > 0);
    expect(issue.reduce((n, d) => n + d!.denied, 0)).toBe(1);
    for (const d of issue) expect(d!.deny_rate).toBe(d!.denied / d!.count);
    expect(mine().filter((r) => r.capgate.decisions["mfa.requirement"] !== undefined).reduce((n, r) => n + r.capgate.decisions["mfa.requirement"]!.count, 0)).toBe(1);

    await buildTestBundle(bundle, "rev-2");
    await waitFor(() => mine().some((r) => r.bundles["bundle.tar.gz"]?.active_revision === "rev-2"));
    await buildTestBundle(bundle, "rev-1");
    await waitFor(() => mine().at(-1)?.bundles["bundle.tar.gz"]?.active_revision === "rev-1");
    await s.close();
  }, 120_000);

  it("answers decisions while the control plane hangs or is down, and counts them into the next delivered report", async () => {
    const cp = new Receiver();
    await cp.listen();
    const s = await sidecar({ url: `http://127.0.0.1:${cp.port}`, interval_seconds: 1, id: "app-3" });
    await waitFor(() => cp.reports.length > 0);
    cp.mode = "hang";
    for (let i = 0; i < 3; i++) expect((await decide(s.url, DENIED)).json["reasons"]).toContain("mfa_required");
    const port = cp.port;
    await cp.close();
    for (let i = 0; i < 2; i++) expect((await decide(s.url, ALLOWED)).json["allow"]).toBe(true);
    const back = new Receiver();
    await back.listen(port);
    try {
      await waitFor(() => back.reports.reduce((n, r) => n + (r.body.capgate.decisions["token.issue"]?.count ?? 0), 0) >= 5);
      const counted = back.reports.map((r) => r.body.capgate.decisions["token.issue"]).filter((d) => d !== undefined);
      expect(counted.reduce((n, d) => n + d!.count, 0)).toBe(5);
      expect(counted.reduce((n, d) => n + d!.denied, 0)).toBe(3);
    } finally {
      await s.close();
      await back.close();
    }
  }, 120_000);

  it("takes its settings from the config and the environment, and refuses bad ones with one line each", () => {
    expect(loadConfig({ flags: { status: { url: "http://127.0.0.1:8282" } } }).status).toEqual({ url: "http://127.0.0.1:8282", interval_seconds: 15 });
    expect(loadConfig({ env: { CAPGATE_STATUS_URL: "https://admin.example", CAPGATE_STATUS_BEARER: "cgadm_0123456789abcdef" } }).status).toEqual({
      url: "https://admin.example",
      bearer: "cgadm_0123456789abcdef",
      interval_seconds: 15,
    });
    const lines = (status: unknown): string[] => {
      try {
        loadConfig({ flags: { status } });
      } catch (e) {
        if (e instanceof CapgateErrors) return e.errors.map((x) => x.format());
        throw e;
      }
      return [];
    };
    expect(lines({ url: "ftp://x" })).toEqual(["config_error: status.url: must be an http(s) URL"]);
    expect(lines({ url: "http://x", bearer: "short", interval_seconds: 0 })).toEqual([
      "config_error: status.bearer: must be at least 16 characters",
      expect.stringMatching(/^config_error: status\.interval_seconds: /),
    ]);
    expect(lines({ url: "http://x", surprise: true })).toEqual(["config_error: status: unknown setting(s) surprise"]);
  });
});
