// Property-based fuzzing of the sidecar's HTTP boundary (fast-check, fixed
// seed, a modest number of runs; `npm run fuzz` runs the same classes longer
// with a fresh seed): every answer is a JSON error of the project's shape or
// the route's answer, nothing is answered 500, no rejection goes unhandled,
// and the server still answers /health afterwards.
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_CLASSES, judge, send } from "./http-cases.js";
import { startFuzzTarget, type FuzzTarget } from "./http-target.js";

const SEED = 20261204;
const RUNS = 120;

let target: FuzzTarget;
const stray: unknown[] = [];
const onStray = (e: unknown): void => void stray.push(e);

beforeAll(async () => {
  process.on("unhandledRejection", onStray);
  process.on("uncaughtException", onStray);
  target = await startFuzzTarget("fuzz_http");
}, 300_000);

afterAll(async () => {
  process.off("unhandledRejection", onStray);
  process.off("uncaughtException", onStray);
  await target?.close();
});

describe("HTTP boundary fuzz", () => {
  for (const { name, requests } of HTTP_CLASSES) {
    it(`${name}: a JSON error or a decision, never a crash`, async () => {
      await fc.assert(
        fc.asyncProperty(requests, async (r) => {
          const answer = await send(target.url, r);
          if (answer === null) return; // Node would not send it: nothing reached the server.
          const wrong = judge(r, answer);
          if (wrong !== null) throw new Error(`${r.method} ${r.path}: ${wrong}`);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }, 300_000);
  }

  // Found by the fuzzer: these reached neither the app nor its error shape (an empty 400, or a bare status line).
  it.each([
    ["a backslash in the path", "GET /\\ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", /"problem":"malformed_request"/],
    ["a Host the adapter cannot parse", "POST /decide HTTP/1.1\r\nHost: a b\r\ncontent-length: 2\r\n\r\n{}", /"code":"invalid_input"/],
    ["a body after Connection: close", "GET /nope HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n{}", /"problem":"(malformed_request|unknown_route)"/],
    ["not HTTP at all", "\u0000\u0001 hello\r\n\r\n", /"problem":"malformed_request"/],
  ])("answers %s with a JSON error", async (_what, raw, pattern) => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(target.url.port), target.url.hostname, () => socket.end(raw.replace("PORT", target.url.port)));
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    const [head, body] = answer.split("\r\n\r\n") as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(head.toLowerCase()).toContain("content-type: application/json");
    expect(body).toMatch(pattern);
  });

  it("answers a request once when bytes follow its Connection: close (its answer is the connection's last)", async () => {
    // A Host of the wrong port is refused synchronously, so the answer is written before the parser meets "{}".
    const raw = "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n{}";
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(target.url.port), target.url.hostname, () => socket.end(raw));
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer.match(/HTTP\/1\.1 \d{3} /g)).toEqual(["HTTP/1.1 421 "]);
    expect(answer).toContain('"problem":"misdirected_host"');
  });

  it("quotes a caller's path holding a line break, so the error stays one line (found by the fuzzer)", async () => {
    const answer = await send(target.url, { method: "POST", path: "/v1/data/capgate%0Ax", headers: { "content-type": "application/json" }, body: "{}" });
    expect(answer?.status).toBe(404);
    expect(JSON.parse(answer!.text)).toMatchObject({ error: { message: 'path: no decision at "/v1/data/capgate\\nx"' } });
    const elsewhere = await send(target.url, { method: "POST", path: "/x%0Ay", headers: { "content-type": "application/json" }, body: "{}" });
    expect(JSON.parse(elsewhere!.text)).toMatchObject({ error: { message: 'path: no route POST "/x\\ny"' } });
  });

  it("keeps a malformed-JSON error one line when the text it quotes holds a line break (found by the fuzzer)", async () => {
    const answer = await send(target.url, { method: "POST", path: "/decide", headers: { "content-type": "application/json" }, body: Uint8Array.of(0x0a, 0x00) });
    expect(answer?.status).toBe(400);
    const message = (JSON.parse(answer!.text) as { error: { message: string } }).error.message;
    expect(message).toMatch(/^body: is not valid JSON \(/);
    expect(message).not.toMatch(/[\n\r]/);
  });

  it("refuses an id holding NUL with 400 naming the field, not a 500 from the primary (found by the fuzzer)", async () => {
    const json = { "content-type": "application/json" };
    const totp = await send(target.url, { method: "POST", path: "/mfa/totp/verify", headers: json, body: JSON.stringify({ tenant_id: "acme", user_id: "u-alice\u0000", code: "000000" }) });
    expect(totp?.status).toBe(400);
    expect(JSON.parse(totp!.text)).toMatchObject({ error: { message: "user_id: must not contain a NUL character", details: { field: "user_id" } } });
    const decide = await send(target.url, { method: "POST", path: "/decide", headers: json, body: JSON.stringify({ decision: "mfa.requirement", input: { tenant_id: "ac\u0000me", user_id: "u-alice" } }) });
    expect(JSON.parse(decide!.text)).toMatchObject({ error: { details: { field: "input.tenant_id" } } });
  });

  it("leaves the server up and nothing unhandled", async () => {
    const health = await fetch(new URL("/health", target.url));
    expect(health.status).toBe(200);
    expect(stray).toEqual([]);
  });
});
