// Tenant, user and MFA-reset pages and their forms. Every read and change goes
// through the admin service, so the dashboard applies the API's role checks,
// value schemas, If-Match and audit; a refusal is shown next to its field.
import type { Hono } from "hono";
import type { AdminMountKit } from "../app.js";
import type { TenantView } from "../service.js";
import { searchTenantIds, userIds } from "./queries.js";
import { changeContext, errorPage, flashFor, formFields, page, refusal, type Ctx } from "./render.js";
import type { DashboardEnv } from "./session.js";
import { ResetConfirmPage, TenantList, TenantPage, UsersPage, type FormErrors } from "./views/tenants.js";

const PAGE_SIZE = 20;
const SAVED: Record<string, string> = {
  ttl: "Token TTL limit saved.",
  mfa: "MFA requirement saved.",
  feature: "Feature saved.",
  reset: "MFA reset: the user must enroll again.",
};

export function tenantRoutes(app: Hono<DashboardEnv>, kit: AdminMountKit): void {
  const { service } = kit;

  app.get("/admin/tenants", async (c) => {
    const s = c.get("signedIn");
    const q = (c.req.query("q") ?? "").trim().slice(0, 100);
    try {
      let ids: string[];
      let next: string | null = null;
      if (q === "") {
        const cursor = c.req.query("cursor");
        const pageOf = await service.listTenants(s.principal, { limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
        ids = pageOf.items.map((t) => t.id);
        if (pageOf.next_cursor !== null) next = `/admin/tenants?cursor=${encodeURIComponent(pageOf.next_cursor)}`;
      } else {
        const found = await searchTenantIds(kit.primary, s.principal, q, c.req.query("after") ?? null, PAGE_SIZE + 1);
        ids = found.slice(0, PAGE_SIZE);
        if (found.length > PAGE_SIZE) next = `/admin/tenants?q=${encodeURIComponent(q)}&after=${encodeURIComponent(ids.at(-1)!)}`;
      }
      const tenants: TenantView[] = [];
      for (const id of ids) tenants.push(await service.getTenant(s.principal, id));
      return page(c, <TenantList principal={s.principal} csrf={s.csrf} tenants={tenants} q={q} next={next} />);
    } catch (e) {
      return errorPage(c, e);
    }
  });

  const tenantPage = async (c: Ctx, errors?: FormErrors, status: 200 | 400 | 409 | 412 = 200) => {
    const s = c.get("signedIn");
    const t = await service.getTenant(s.principal, c.req.param("tenant")!);
    return page(c, <TenantPage principal={s.principal} csrf={s.csrf} t={t} flash={flashFor(c, SAVED)} {...(errors === undefined ? {} : { errors })} />, status);
  };

  app.get("/admin/tenants/:tenant", async (c) => {
    try {
      return await tenantPage(c);
    } catch (e) {
      return errorPage(c, e);
    }
  });

  /** Runs a change; on success goes back to the tenant page with a note, on a refusal shows it beside the field. */
  const change = async (c: Ctx, done: string, run: (field: (n: string) => string) => Promise<unknown>, errorsOf: (message: string, field: (n: string) => string) => FormErrors) => {
    const field = await formFields(c);
    const tenant = c.req.param("tenant")!;
    try {
      await run(field);
      return c.redirect(`/admin/tenants/${encodeURIComponent(tenant)}?done=${done}`, 303);
    } catch (e) {
      const r = refusal(e);
      if (r.status === 403 || r.status === 404) return errorPage(c, e);
      const message = r.status === 412 ? "Someone changed this setting since this page was loaded; it now shows the current value. Try again." : r.message;
      try {
        return await tenantPage(c, errorsOf(message, field), r.status);
      } catch (again) {
        return errorPage(c, again);
      }
    }
  };

  const ifMatch = (field: (n: string) => string) => (field("if_match") === "" ? undefined : field("if_match"));

  app.post("/admin/tenants/:tenant/capabilities/max_token_ttl", (c) =>
    change(
      c,
      "ttl",
      (field) => {
        // Sent as typed: a non-integer reaches the service's schema, which names the problem.
        const text = field("seconds").trim();
        const value = { seconds: /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text };
        return service.putCapability(changeContext(c), c.req.param("tenant"), "max_token_ttl", value, ifMatch(field));
      },
      (message, field) => ({ ttl: { value: field("seconds"), message } }),
    ),
  );

  app.post("/admin/tenants/:tenant/capabilities/mfa", (c) =>
    change(
      c,
      "mfa",
      (field) => service.putCapability(changeContext(c), c.req.param("tenant"), "mfa", { required: field("required") === "true" }, ifMatch(field)),
      (message) => ({ mfa: message }),
    ),
  );

  app.post("/admin/tenants/:tenant/features/:key", (c) =>
    change(
      c,
      "feature",
      (field) => service.putFeature(changeContext(c), c.req.param("tenant"), c.req.param("key"), field("enabled") === "true", ifMatch(field)),
      (message) => ({ feature: message }),
    ),
  );

  app.get("/admin/tenants/:tenant/users", async (c) => {
    const s = c.get("signedIn");
    const tenant = c.req.param("tenant");
    try {
      await service.getTenant(s.principal, tenant);
      const found = await userIds(kit.primary, s.principal, tenant, c.req.query("after") ?? null, PAGE_SIZE + 1);
      const ids = found.slice(0, PAGE_SIZE);
      const users = [];
      for (const id of ids) users.push(await service.getUser(s.principal, tenant, id));
      const next = found.length > PAGE_SIZE ? `/admin/tenants/${encodeURIComponent(tenant)}/users?after=${encodeURIComponent(ids.at(-1)!)}` : null;
      return page(c, <UsersPage principal={s.principal} csrf={s.csrf} tenantId={tenant} users={users} next={next} flash={flashFor(c, SAVED)} />);
    } catch (e) {
      return errorPage(c, e);
    }
  });

  app.get("/admin/tenants/:tenant/users/:user/reset-mfa", async (c) => {
    const s = c.get("signedIn");
    try {
      const user = await service.getUser(s.principal, c.req.param("tenant"), c.req.param("user"));
      return page(c, <ResetConfirmPage principal={s.principal} csrf={s.csrf} tenantId={c.req.param("tenant")} user={user} />);
    } catch (e) {
      return errorPage(c, e);
    }
  });

  app.post("/admin/tenants/:tenant/users/:user/reset-mfa", async (c) => {
    const tenant = c.req.param("tenant");
    try {
      await service.resetUserTotp(changeContext(c), tenant, c.req.param("user"));
      return c.redirect(`/admin/tenants/${encodeURIComponent(tenant)}/users?done=reset`, 303);
    } catch (e) {
      return errorPage(c, e);
    }
  });
}
