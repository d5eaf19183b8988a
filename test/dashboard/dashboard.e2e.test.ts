// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against `capgate admin serve`'s server on a real primary, with a real sidecar
// following that primary and reporting its status. Scenarios: sign in with
// the keyboard; change acme's TTL to 600 and see the sidecar answer
// ttl_seconds 600; a refused value shows its error (in the browser, and from
// the server next to the field) and changes nothing; a tenant admin cannot see
// another tenant; a rollout created, advanced and rolled back; the audit trail
// shows each step; an MFA reset with its confirmation; the fleet view and its
// plot. Screenshots of the main pages are taken (into docs/images/ with
// CAPGATE_SCREENSHOTS=1).
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/server.js";
import { post } from "../server/helpers.js";
import { launchChromium } from "./browser.js";
import { dashboardFixture, type DashboardFixture } from "./fixture.js";
import { waitFor } from "./wait.js";

/** What the page script reads of a form field (the DOM types are not in this program). */
interface Field {
  validity: { rangeUnderflow: boolean };
  validationMessage: string;
}

/** CAPGATE_SCREENSHOTS=1 retakes the README's pictures in docs/images; otherwise they go to a temporary folder. */
const IMAGES =
  process.env["CAPGATE_SCREENSHOTS"] === "1" ? join(import.meta.dirname, "..", "..", "docs", "images") : join(tmpdir(), "capgate-dashboard-screenshots");
const ISSUE = { tenant_id: "acme", user_id: "u-alice", token_type: "access", requested_ttl_seconds: 86_400, auth: { methods: ["pwd", "totp"] } };

let f: DashboardFixture;
let browser: Browser;
let sidecar: RunningServer;
const contexts: BrowserContext[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  mkdirSync(IMAGES, { recursive: true });
  browser = await launchChromium();
  f = await dashboardFixture("e2e");
  sidecar = await f.sidecar("app-host-1");
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await f?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, baseURL: f.url });
  contexts.push(context);
  const page = await context.newPage();
  page.on("console", (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto("/admin/");
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Tenants" }).waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(IMAGES, `${name}.png`) });
}

async function ttlOnPrimary(tenant: string): Promise<unknown> {
  const { rows } = await f.primary.query<{ v: unknown }>("SELECT value AS v FROM tenant_capabilities WHERE tenant_id = $1 AND capability_key = 'max_token_ttl'", [tenant]);
  return rows[0]?.v;
}

async function auditCount(): Promise<number> {
  const { rows } = await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM admin_audit");
  return Number(rows[0]!.n);
}

describe("dashboard in Chromium", () => {
  let operator: Page;

  it("signs in with the keyboard; the session cookie is HttpOnly and SameSite=Strict (not Secure on loopback); pages carry a strict CSP", async () => {
    operator = await newPage();
    await operator.goto("/admin/tenants");
    await operator.getByRole("heading", { name: "Sign in" }).waitFor();
    await operator.keyboard.press("Tab");
    await operator.keyboard.press("Tab");
    expect(await operator.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe("token");
    await operator.keyboard.type(f.tokens.operator);
    await operator.keyboard.press("Enter");
    await operator.getByRole("heading", { level: 1, name: "Tenants" }).waitFor();
    const cookie = (await operator.context().cookies()).find((c) => c.name === "capgate_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/admin" });
    const res = await operator.request.get("/admin/tenants");
    expect(res.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(res.headers()["content-security-policy"]).not.toContain("unsafe-inline");
    const row = operator.getByRole("row", { name: /acme/ });
    await expect(row.getByRole("cell").nth(1).textContent()).resolves.toBe("900 s");
    await expect(row.getByRole("cell").nth(2).textContent()).resolves.toBe("yes");
    await shot(operator, "dashboard-tenants");
  });

  it("a wrong token is refused next to the field", async () => {
    const page = await newPage();
    await page.goto("/admin/sign-in");
    await page.getByLabel("Admin token").fill("cgadm_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("#token-error").textContent()).resolves.toContain("not valid");
  });

  it("searches tenants", async () => {
    await operator.getByLabel("Search tenants by id or name").fill("glob");
    await waitFor(async () => (await operator.locator("#tenant-results tbody tr").count()) === 1, "the search results");
    await expect(operator.locator("#tenant-results tbody tr").first().textContent()).resolves.toContain("globex");
  });

  it("changes acme's TTL to 600 and a sidecar following the primary answers ttl_seconds 600", async () => {
    const before = await post(sidecar.url, "/decide", { decision: "token.issue", input: ISSUE });
    expect(before.json["ttl_seconds"]).toBe(900);
    await operator.goto("/admin/tenants/acme");
    await operator.getByLabel(/Longest token lifetime/).fill("600");
    await operator.getByRole("button", { name: "Save TTL limit" }).click();
    await operator.getByText("Token TTL limit saved.").waitFor();
    expect(await operator.getByLabel(/Longest token lifetime/).inputValue()).toBe("600");
    expect(await ttlOnPrimary("acme")).toEqual({ seconds: 600 });
    await waitFor(async () => (await post(sidecar.url, "/decide", { decision: "token.issue", input: ISSUE })).json["ttl_seconds"] === 600, "the sidecar to serve 600");
    const after = await post(sidecar.url, "/decide", { decision: "token.issue", input: ISSUE });
    expect(after.json).toMatchObject({ allow: true, ttl_seconds: 600 });
    await shot(operator, "dashboard-tenant");
  });

  it("a refused value shows its error and changes nothing: the browser's check, then the server's beside the field", async () => {
    const audit = await auditCount();
    await operator.goto("/admin/tenants/acme");
    const ttl = operator.getByLabel(/Longest token lifetime/);
    await ttl.fill("30");
    let posted = 0;
    operator.on("request", (r) => {
      if (r.method() === "POST") posted++;
    });
    await operator.getByRole("button", { name: "Save TTL limit" }).click();
    expect(await ttl.evaluate((el) => (el as unknown as Field).validity.rangeUnderflow)).toBe(true);
    expect(await ttl.evaluate((el) => (el as unknown as Field).validationMessage)).not.toBe("");
    expect(posted).toBe(0);

    // A browser that does not check (or a crafted request) meets the server's check.
    await operator.locator("form[action$='/max_token_ttl']").evaluate((form) => ((form as unknown as { noValidate: boolean }).noValidate = true));
    await operator.getByRole("button", { name: "Save TTL limit" }).click();
    await operator.locator("#ttl-error").waitFor();
    expect(await operator.locator("#ttl-error").textContent()).toBe("Must be at least 60");
    expect(await ttl.getAttribute("aria-invalid")).toBe("true");
    expect(await ttl.getAttribute("aria-describedby")).toContain("ttl-error");
    expect(await ttl.inputValue()).toBe("30");
    expect(posted).toBe(1);
    expect(await ttlOnPrimary("acme")).toEqual({ seconds: 600 });
    expect(await auditCount()).toBe(audit);
    await shot(operator, "dashboard-refused");
  });

  it("refuses a form without the session's CSRF token and changes nothing", async () => {
    const audit = await auditCount();
    const res = await operator.request.post("/admin/tenants/acme/capabilities/max_token_ttl", { form: { seconds: "700" }, headers: {} });
    expect(res.status()).toBe(403);
    expect(await ttlOnPrimary("acme")).toEqual({ seconds: 600 });
    expect(await auditCount()).toBe(audit);
  });

  it("a tenant admin sees only its own tenant", async () => {
    const page = await newPage();
    await signIn(page, f.tokens.globexAdmin);
    const rows = page.locator("#tenant-results tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("globex");
    await page.getByLabel("Search tenants by id or name").fill("acme");
    await waitFor(async () => (await page.getByText("No tenant matches.").count()) === 1, "an empty search");
    const res = await page.goto("/admin/tenants/acme");
    expect(res?.status()).toBe(403);
    expect(await page.getByRole("alert").textContent()).toContain("limited to tenant");
    expect(await page.content()).not.toContain("Acme Corp");
    const users = await page.goto("/admin/tenants/acme/users");
    expect(users?.status()).toBe(403);
    const audit = await auditCount();
    const write = await page.request.post("/admin/tenants/acme/capabilities/max_token_ttl", {
      form: { seconds: "120", _csrf: (await page.locator("input[name=_csrf]").first().getAttribute("value"))! },
    });
    expect(write.status()).toBe(403);
    expect(await ttlOnPrimary("acme")).toEqual({ seconds: 600 });
    expect(await auditCount()).toBe(audit);
    expect(await page.getByRole("link", { name: "Rollouts" }).count()).toBe(0);
  });

  it("creates a rollout, advances it and rolls it back, with the tenants per stage and a progress bar", async () => {
    await operator.goto("/admin/rollouts");
    await operator.getByLabel("What to roll out").selectOption("feature:mfa");
    await operator.getByLabel(/Required \/ enabled/).check();
    await operator.getByLabel(/Stages/).fill("50,100");
    await operator.getByLabel(/Never these tenants/).fill("acme, hooli");
    await operator.getByRole("button", { name: "Create rollout" }).click();
    await operator.getByText("Rollout created").waitFor();
    const id = (await operator.getByRole("heading", { level: 1 }).textContent())!.replace("Rollout ", "");
    expect(id).toMatch(/^ro_/);
    await operator.getByRole("button", { name: /Advance to stage 1/ }).click();
    await operator.getByRole("button", { name: /Advance to stage 2/ }).waitFor();
    expect(await operator.getByText("Rollout advanced.").count()).toBe(1);
    expect(await operator.locator("progress").getAttribute("value")).toBe("50");
    await operator.getByRole("button", { name: /Advance to stage 2/ }).click();
    await operator.getByText("completed").first().waitFor();
    expect(await operator.locator("progress").getAttribute("value")).toBe("100");
    const stageCells = await operator.locator("table tbody tr td:last-child").allTextContents();
    const reached = stageCells.join(",").split(",").map((s) => s.trim()).filter((s) => s !== "—" && s !== "");
    expect(reached.sort()).toEqual(["globex", "initech", "umbrella"]);
    const { rows } = await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM tenant_features WHERE feature_key = 'mfa' AND enabled AND tenant_id = ANY($1)", [reached]);
    expect(Number(rows[0]!.n)).toBe(3);
    await shot(operator, "dashboard-rollout");

    await operator.getByRole("link", { name: "Roll back…" }).click();
    await operator.getByRole("button", { name: `Yes, roll back ${id}` }).click();
    await operator.getByText("Rollout rolled back.").waitFor();
    expect(await operator.getByText(/Rolled back: restored/).textContent()).toContain("globex");
    const back = await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM tenant_features WHERE feature_key = 'mfa' AND enabled AND tenant_id = ANY($1)", [reached]);
    expect(Number(back.rows[0]!.n)).toBe(0);
    await operator.goto("/admin/rollouts");
    expect(await operator.getByRole("row", { name: new RegExp(id) }).textContent()).toContain("rolled back");
    await shot(operator, "dashboard-rollouts");
  });

  it("resets a user's MFA after a confirmation step", async () => {
    await operator.goto("/admin/tenants/acme/users");
    expect(await operator.getByRole("row", { name: /u-alice/ }).textContent()).toContain("enrolled");
    await shot(operator, "dashboard-users");
    await operator.getByRole("link", { name: "Reset MFA of u-alice" }).click();
    await operator.getByRole("heading", { name: "Reset MFA of u-alice?" }).waitFor();
    const { rows } = await f.primary.query<{ n: string }>("SELECT count(*)::text AS n FROM user_capability_state WHERE user_id = 'u-alice' AND capability_key = 'totp'");
    expect(rows[0]!.n).toBe("1");
    await operator.getByRole("button", { name: "Yes, reset MFA of u-alice" }).click();
    await operator.getByText("MFA reset").waitFor();
    const cells = await operator.getByRole("row", { name: /u-alice/ }).getByRole("cell").allTextContents();
    expect(cells[2]).toBe("not enrolled");
  });

  it("the audit trail shows each step, filtered by tenant, actor and time", async () => {
    await operator.goto("/admin/audit");
    const actions = await operator.locator("table.audit tbody tr td:nth-child(3)").allTextContents();
    for (const a of ["capability.put", "rollout.create", "rollout.advance", "rollout.rollback", "user.totp.reset"]) expect(actions).toContain(a);
    await operator.getByLabel("Tenant").fill("acme");
    await operator.getByRole("button", { name: "Filter" }).click();
    await waitFor(async () => (await operator.locator("table.audit tbody tr td:nth-child(4)").allTextContents()).every((t) => t === "acme"), "acme's entries");
    const acme = await operator.locator("table.audit tbody tr").allTextContents();
    expect(acme.some((r) => r.includes("capability.put") && r.includes("600"))).toBe(true);
    expect(acme.some((r) => r.includes("user.totp.reset"))).toBe(true);
    await shot(operator, "dashboard-audit");
    await operator.getByLabel("Tenant").fill("");
    await operator.getByLabel("Actor").fill("globex-admin");
    await operator.getByRole("button", { name: "Filter" }).click();
    await operator.getByText("No entry matches.").waitFor();
    await operator.getByLabel("Actor").fill("ops-olivia");
    await operator.getByLabel("Since (UTC)").fill("2999-01-01T00:00:00");
    await operator.getByRole("button", { name: "Filter" }).click();
    await operator.getByText("No entry matches.").waitFor();
  });

  it("shows the fleet (from the sidecar's status reports) and the last hour's plot", async () => {
    for (let i = 0; i < 20; i++) await post(sidecar.url, "/decide", { decision: "token.issue", input: { ...ISSUE, auth: { methods: i % 4 === 0 ? ["pwd"] : ["pwd", "totp"] } } });
    await waitFor(async () => {
      const { rows } = await f.primary.query<{ n: string }>("SELECT coalesce(sum(decisions), 0)::text AS n FROM sidecar_status_samples WHERE decision = 'token.issue'");
      return Number(rows[0]!.n) >= 20;
    }, "the reports to reach the admin server");
    await operator.goto("/admin/fleet");
    const row = operator.getByRole("row", { name: /app-host-1/ });
    expect(await row.textContent()).toContain("dash-rev-1");
    expect(await operator.locator("svg#plot-rate polyline, svg#plot-rate circle").count()).toBeGreaterThan(0);
    expect(await operator.locator("svg#plot-deny polyline, svg#plot-deny circle").count()).toBeGreaterThan(0);
    await shot(operator, "dashboard-fleet");
  });

  it("no page broke its Content-Security-Policy", () => {
    expect(cspViolations.join("\n")).toBe("");
  });
});
