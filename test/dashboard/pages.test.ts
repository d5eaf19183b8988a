// The dashboard over plain HTTP, for what a browser run does not reach
// cheaply: every page's security headers, pagination of the tenant list and
// the audit trail, a revoked token ending its session, failed sign-ins
// limited per source, a viewer's read-only pages, and forms refused with the
// field named and nothing changed.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeAdminToken, listAdminTokens } from "../../src/admin/index.js";
import { dashboardFixture, type DashboardFixture } from "./fixture.js";

let f: DashboardFixture;

beforeAll(async () => {
  f = await dashboardFixture("pages");
  // 30 more tenants, so the list has pages.
  await f.primary.query("INSERT INTO tenants (id, name) SELECT 'zz-' || lpad(i::text, 3, '0'), 'Page test ' || i FROM generate_series(1, 30) i");
}, 180_000);

afterAll(async () => {
  await f?.close();
});

interface Session {
  cookie: string;
  csrf: string;
}

async function signIn(token: string): Promise<Session> {
  const res = await fetch(`${f.url}/admin/sign-in`, { method: "POST", body: new URLSearchParams({ token }), redirect: "manual" });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const page = await get({ cookie, csrf: "" }, "/admin/tenants");
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]! };
}

async function get(s: Session, path: string) {
  const res = await fetch(f.url + path, { headers: { cookie: s.cookie }, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function postForm(s: Session, path: string, fields: Record<string, string>) {
  const res = await fetch(f.url + path, { method: "POST", headers: { cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, ...fields }), redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A POST on a connection of its own, with headers fetch may not set (Host) or a body the server may refuse unread. */
function rawPost(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; cookie: string | undefined }> {
  const url = new URL(f.url + path);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent: false, headers: { "content-length": String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, cookie: res.headers["set-cookie"]?.[0] }));
      },
    );
    // The server may answer and close before reading a refused body.
    req.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e)));
    req.end(body);
  });
}

async function count(sql: string): Promise<number> {
  const { rows } = await f.primary.query<{ n: string }>(sql);
  return Number(rows[0]!.n);
}

describe("dashboard pages", () => {
  it("sends the strict CSP and hardening headers on every page, and serves its own assets", async () => {
    const s = await signIn(f.tokens.operator);
    for (const path of ["/admin/sign-in", "/admin/tenants", "/admin/tenants/acme", "/admin/tenants/acme/users", "/admin/rollouts", "/admin/audit", "/admin/fleet"]) {
      const r = await get(s, path);
      expect(r.status, path).toBe(200);
      const csp = r.headers.get("content-security-policy")!;
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).not.toMatch(/unsafe|https?:/);
      expect(r.headers.get("x-frame-options"), path).toBe("DENY");
      expect(r.text, path).not.toMatch(/<script>|<style|style="|\son[a-z]+="/);
      expect(r.text, path).not.toMatch(/src="https?:|href="https?:/);
    }
    const htmx = await fetch(`${f.url}/admin/assets/htmx.min.js`);
    expect(htmx.status).toBe(200);
    expect(await htmx.text()).toContain("htmx");
    expect((await fetch(`${f.url}/admin/assets/dashboard.css`)).headers.get("content-type")).toContain("text/css");
  });

  it("sends a page request without a session to the sign-in page", async () => {
    const r = await get({ cookie: "capgate_session=forged", csrf: "" }, "/admin/tenants");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin/sign-in");
  });

  it("pages the tenant list and the search", async () => {
    const s = await signIn(f.tokens.operator);
    const seen: string[] = [];
    let path: string | null = "/admin/tenants";
    while (path !== null) {
      const r = await get(s, path);
      seen.push(...[...r.text.matchAll(/<th scope="row"><a href="\/admin\/tenants\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]!)));
      const next = /<a rel="next" href="([^"]+)"/.exec(r.text);
      path = next === null ? null : next[1]!.replace(/&amp;/g, "&");
    }
    expect(seen).toHaveLength(35);
    expect(new Set(seen).size).toBe(35);
    const search = await get(s, "/admin/tenants?q=zz-");
    expect(search.text).toContain('rel="next"');
    const second = /<a rel="next" href="([^"]+)"/.exec(search.text)![1]!.replace(/&amp;/g, "&");
    expect((await get(s, second)).text).toContain("zz-030");
    expect((await get(s, "/admin/tenants?q=%25")).text).toContain("No tenant matches.");
  });

  it("ends a session when its token is revoked", async () => {
    const { createAdminToken } = await import("../../src/admin/index.js");
    const made = await createAdminToken(f.primary, { role: "operator", name: "short-lived", actor: "test" });
    const s = await signIn(made.token);
    expect((await get(s, "/admin/tenants")).status).toBe(200);
    const id = (await listAdminTokens(f.primary)).find((t) => t.name === "short-lived")!.id;
    await revokeAdminToken(f.primary, id, "test");
    expect((await get(s, "/admin/tenants")).status).toBe(303);
  });

  it("sets the session cookie Secure off loopback or behind TLS, and refuses a sign-in or form posted from another site", async () => {
    const signInWith = (headers: Record<string, string>) =>
      fetch(`${f.url}/admin/sign-in`, { method: "POST", headers, body: new URLSearchParams({ token: f.tokens.operator }), redirect: "manual" });
    const loopback = await signInWith({});
    expect(loopback.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect(loopback.headers.get("set-cookie")).toMatch(/SameSite=Strict/);
    expect(loopback.headers.get("set-cookie")).not.toMatch(/Secure/);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const offLoopback = await rawPost("/admin/sign-in", { ...form, host: "admin.example.com" }, new URLSearchParams({ token: f.tokens.operator }).toString());
    expect(offLoopback.cookie).toMatch(/; Secure/);
    expect((await signInWith({ "x-forwarded-proto": "https" })).headers.get("set-cookie")).toMatch(/; Secure/);
    const foreign = await signInWith({ origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    const s = await signIn(f.tokens.operator);
    const audit = await count("SELECT count(*)::text AS n FROM admin_audit");
    const res = await fetch(`${f.url}/admin/tenants/acme/capabilities/max_token_ttl`, {
      method: "POST",
      headers: { cookie: s.cookie, origin: "https://evil.example" },
      body: new URLSearchParams({ _csrf: s.csrf, seconds: "120" }),
      redirect: "manual",
    });
    expect(res.status).toBe(403);
    expect(await count("SELECT count(*)::text AS n FROM admin_audit")).toBe(audit);
  });

  it("refuses an oversized form (413) and an oversized status report (413), storing nothing", async () => {
    const s = await signIn(f.tokens.operator);
    const audit = await count("SELECT count(*)::text AS n FROM admin_audit");
    const big = await rawPost(
      "/admin/tenants/acme/capabilities/max_token_ttl",
      { cookie: s.cookie, "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ _csrf: s.csrf, seconds: "120", pad: "x".repeat(100_000) }).toString(),
    );
    expect(big.status).toBe(413);
    expect(await count("SELECT count(*)::text AS n FROM admin_audit")).toBe(audit);
    const report = await rawPost(
      "/status",
      { authorization: `Bearer ${f.tokens.sidecar}`, "content-type": "application/json" },
      JSON.stringify({ labels: { id: "huge", pad: "x".repeat(300_000) } }),
    );
    expect(report.status).toBe(413);
    expect(await count("SELECT count(*)::text AS n FROM sidecar_status WHERE sidecar_id = 'huge'")).toBe(0);
  });

  it("refuses a sidecar token at sign-in", async () => {
    const res = await fetch(`${f.url}/admin/sign-in`, { method: "POST", body: new URLSearchParams({ token: f.tokens.sidecar }), redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("shows a viewer no write controls, and refuses its writes", async () => {
    const s = await signIn(f.tokens.viewer);
    const page = await get(s, "/admin/tenants/acme");
    expect(page.text).not.toContain("Save TTL limit");
    expect(page.text).toMatch(/id="ttl"[^>]*disabled/);
    const audit = await count("SELECT count(*)::text AS n FROM admin_audit");
    expect((await postForm(s, "/admin/tenants/acme/capabilities/max_token_ttl", { seconds: "120" })).status).toBe(403);
    expect((await postForm(s, "/admin/rollouts", { target: "feature:mfa", enabled: "true", stages: "100" })).status).toBe(403);
    expect(await count("SELECT count(*)::text AS n FROM admin_audit")).toBe(audit);
  });

  it("refuses a malformed rollout with the field named beside it, and creates nothing", async () => {
    const s = await signIn(f.tokens.operator);
    const before = await count("SELECT count(*)::text AS n FROM admin_rollouts");
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ target: "feature:mfa", stages: "5,x" }, "rollout-stages-error", "percents separated by commas"],
      [{ target: "feature:mfa", stages: "50,25" }, "rollout-stages-error", "rise"],
      [{ target: "feature:mfa", stages: "0" }, "rollout-stages-error", "between 1 and 100"],
      [{ target: "capability:max_token_ttl", seconds: "59", stages: "100" }, "rollout-seconds-error", "at least 60"],
      [{ target: "nonsense", stages: "100" }, "rollout-target-error", "choose"],
      [{ target: "feature:mfa", stages: "100", allow: "acme", deny: "acme" }, "rollout-allow-error", "both allow and deny"],
    ];
    for (const [fields, id, words] of cases) {
      const r = await postForm(s, "/admin/rollouts", fields);
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(new RegExp(`id="${id}"[^>]*>[^<]*${words}`, "i").test(r.text), `${JSON.stringify(fields)}: ${r.text.slice(r.text.indexOf("field-error"), r.text.indexOf("field-error") + 200)}`).toBe(true);
    }
    expect(await count("SELECT count(*)::text AS n FROM admin_rollouts")).toBe(before);
  });

  it("shows a stale If-Match as a field error (412) and changes nothing", async () => {
    const s = await signIn(f.tokens.operator);
    const ttl = await f.primary.query<{ v: unknown }>("SELECT value AS v FROM tenant_capabilities WHERE tenant_id = 'initech' AND capability_key = 'max_token_ttl'");
    const r = await postForm(s, "/admin/tenants/initech/capabilities/max_token_ttl", { seconds: "120", if_match: '"stale"' });
    expect(r.status).toBe(412);
    expect(r.text).toMatch(/id="ttl-error"[^>]*>Someone changed this setting/);
    const after = await f.primary.query<{ v: unknown }>("SELECT value AS v FROM tenant_capabilities WHERE tenant_id = 'initech' AND capability_key = 'max_token_ttl'");
    expect(after.rows).toEqual(ttl.rows);
  });

  it("pages the audit trail and refuses a malformed time beside its field", async () => {
    const s = await signIn(f.tokens.operator);
    await f.primary.query("INSERT INTO admin_audit (actor, action, target) SELECT 'bulk-writer', 'test.entry', 'entry-' || i FROM generate_series(1, 60) i");
    const targets: string[] = [];
    let path: string | null = "/admin/audit?actor=bulk-writer";
    while (path !== null) {
      const r = await get(s, path);
      targets.push(...[...r.text.matchAll(/<td>(entry-\d+)<\/td>/g)].map((m) => m[1]!));
      const next = /<a rel="next" href="([^"]+)"/.exec(r.text);
      path = next === null ? null : next[1]!.replace(/&amp;/g, "&");
    }
    expect(targets).toHaveLength(60);
    expect(new Set(targets).size).toBe(60);
    expect(targets[0]).toBe("entry-60");
    const bad = await get(s, "/admin/audit?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="audit-since-error"[^>]*>[^<]*date and time/);
  });

  it("limits failed sign-ins per source", async () => {
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${f.url}/admin/sign-in`, { method: "POST", body: new URLSearchParams({ token: `cgadm_guess_${i}` }) });
      last = res.status;
      const text = await res.text();
      if (text.includes("Too many failed sign-ins")) return;
    }
    throw new Error(`12 failed sign-ins were never limited (last status ${last})`);
  });
});
