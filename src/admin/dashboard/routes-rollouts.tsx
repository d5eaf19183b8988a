// Rollout pages and their actions (create, advance, roll back after a
// confirmation), through the admin service: only operators may act, and each
// step is one audited transaction there.
import type { Hono } from "hono";
import type { AdminMountKit } from "../app.js";
import type { RolloutSpec, RolloutView } from "../service.js";
import { inputError } from "../../server/http/http-error.js";
import { rolloutIds } from "./queries.js";
import { changeContext, errorPage, flashFor, formFields, page, refusal, type Ctx } from "./render.js";
import type { DashboardEnv } from "./session.js";
import { EMPTY_CREATE, RolloutList, RolloutPage, type CreateForm } from "./views/rollouts.js";

const LIST_SIZE = 50;
const DONE: Record<string, string> = {
  created: "Rollout created; advance it to apply its first stage.",
  advanced: "Rollout advanced.",
  rolled_back: "Rollout rolled back.",
};

function ids(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** The rollout the form describes; a malformed field is refused with its name, as the API would. */
function specOf(f: CreateForm): RolloutSpec {
  if (!/^\s*\d{1,3}\s*(,\s*\d{1,3}\s*)*$/.test(f.stages)) throw inputError("stages", "invalid", "must be percents separated by commas, such as 5,25,50,100");
  const stages = f.stages.split(",").map((s) => Number(s.trim()));
  const bad = stages.findIndex((s) => s < 1 || s > 100);
  if (bad >= 0) throw inputError("stages", "invalid", `stage ${bad + 1} must be a percent between 1 and 100`);
  const common = { stages, ...(f.allow.trim() === "" ? {} : { allow: ids(f.allow) }), ...(f.deny.trim() === "" ? {} : { deny: ids(f.deny) }) };
  switch (f.target) {
    case "capability:max_token_ttl": {
      const text = f.seconds.trim();
      return { ...common, capability: { key: "max_token_ttl", value: { seconds: /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text } } };
    }
    case "capability:mfa":
      return { ...common, capability: { key: "mfa", value: { required: f.enabled } } };
    case "feature:mfa":
      return { ...common, feature: { key: "mfa", enabled: f.enabled } };
    default:
      throw inputError("target", "invalid", "choose what to roll out");
  }
}

/** The form field a service error names (`capability.value.seconds` is the seconds field). */
function formField(field: string): string {
  if (field.startsWith("capability.value") || field === "value.seconds") return "seconds";
  if (field.startsWith("stages")) return "stages";
  if (["allow", "deny", "target"].includes(field)) return field;
  return "";
}

export function rolloutRoutes(app: Hono<DashboardEnv>, kit: AdminMountKit): void {
  const { service } = kit;

  const listPage = async (c: Ctx, form: CreateForm = EMPTY_CREATE, error?: { field: string; message: string }, status: 200 | 400 | 409 = 200) => {
    const s = c.get("signedIn");
    const rollouts: RolloutView[] = [];
    for (const id of await rolloutIds(kit.primary, s.principal, LIST_SIZE)) rollouts.push(await service.getRollout(s.principal, id));
    return page(c, <RolloutList principal={s.principal} csrf={s.csrf} rollouts={rollouts} form={form} error={error} flash={flashFor(c, DONE)} />, status);
  };

  app.get("/admin/rollouts", async (c) => {
    try {
      return await listPage(c);
    } catch (e) {
      return errorPage(c, e);
    }
  });

  app.post("/admin/rollouts", async (c) => {
    const field = await formFields(c);
    const form: CreateForm = { target: field("target"), seconds: field("seconds"), enabled: field("enabled") === "true", stages: field("stages"), allow: field("allow"), deny: field("deny") };
    try {
      const r = await service.createRollout(changeContext(c), specOf(form));
      return c.redirect(`/admin/rollouts/${encodeURIComponent(r.id)}?done=created`, 303);
    } catch (e) {
      const r = refusal(e);
      if (r.status === 403) return errorPage(c, e);
      try {
        return await listPage(c, form, { field: formField(r.field), message: r.message }, r.status === 409 ? 409 : 400);
      } catch (again) {
        return errorPage(c, again);
      }
    }
  });

  const rolloutPage = async (c: Ctx, opts: { confirmRollback?: boolean; error?: string; status?: 200 | 409 } = {}) => {
    const s = c.get("signedIn");
    const r = await service.getRollout(s.principal, c.req.param("id")!);
    return page(
      c,
      <RolloutPage principal={s.principal} csrf={s.csrf} r={r} confirmRollback={opts.confirmRollback === true} error={opts.error} flash={flashFor(c, DONE)} />,
      opts.status ?? 200,
    );
  };

  app.get("/admin/rollouts/:id", async (c) => {
    try {
      return await rolloutPage(c);
    } catch (e) {
      return errorPage(c, e);
    }
  });

  app.get("/admin/rollouts/:id/rollback", async (c) => {
    try {
      return await rolloutPage(c, { confirmRollback: true });
    } catch (e) {
      return errorPage(c, e);
    }
  });

  const step = (path: "advance" | "rollback", done: string, run: (c: Ctx) => Promise<unknown>) =>
    app.post(`/admin/rollouts/:id/${path}`, async (c) => {
      try {
        await run(c);
        return c.redirect(`/admin/rollouts/${encodeURIComponent(c.req.param("id"))}?done=${done}`, 303);
      } catch (e) {
        const r = refusal(e);
        if (r.status !== 409) return errorPage(c, e);
        try {
          return await rolloutPage(c, { error: r.message, status: 409 });
        } catch (again) {
          return errorPage(c, again);
        }
      }
    });
  step("advance", "advanced", (c) => service.advanceRollout(changeContext(c), c.req.param("id")!));
  step("rollback", "rolled_back", (c) => service.rollbackRollout(changeContext(c), c.req.param("id")!));
}
