// Assembles and runs `capgate admin serve`: opens the primary, checks it
// carries the admin tables, and serves the admin app on the configured address.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import pino, { type Logger } from "pino";
import type { Hono } from "hono";
import { CapgateError } from "../errors.js";
import { openPrimary, primaryOptionsFrom, type Primary } from "../primary/index.js";
import { createAdminApp, type AdminAppDeps } from "./app.js";
import { createAuthenticator } from "./auth.js";
import type { AdminConfig } from "./config.js";
import { createAdminService } from "./service.js";
import type { AdminEnv } from "./middleware/index.js";

export interface RunningAdminServer {
  url: string;
  port: number;
  primary: Primary;
  close(): Promise<void>;
}

export interface StartAdminOptions {
  config: AdminConfig;
  logger?: Logger;
  /** An already-open primary (kept open on close); otherwise opened from the config. */
  primary?: Primary;
  extraRoutes?: AdminAppDeps["extraRoutes"];
}

export async function startAdminServer(opts: StartAdminOptions): Promise<RunningAdminServer> {
  const { config } = opts;
  const log = opts.logger ?? pino({ level: config.log_level, base: { service: "capgate-admin" } }, pino.destination(2));
  const owned = opts.primary === undefined;
  const primary = opts.primary ?? (await openPrimary(primaryOptionsFrom({ databaseUrl: config.database_url, dataDir: config.data_dir })));
  try {
    await requireAdminSchema(primary);
    const app: Hono<AdminEnv> = createAdminApp({
      service: createAdminService(primary),
      authenticate: createAuthenticator(primary, config.oidc),
      primary,
      log,
      maxBodyBytes: config.max_body_bytes,
      authFailures: { limit: config.auth_failures.limit, windowSeconds: config.auth_failures.window_seconds },
      extraRoutes: opts.extraRoutes,
    });
    const server = await listen(app, config.host, config.port);
    const port = (server.address() as AddressInfo).port;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    return {
      url: `http://${host}:${port}`,
      port,
      primary,
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (owned) await primary.close();
      },
    };
  } catch (e) {
    if (owned) await primary.close();
    throw e;
  }
}

/** Refuses to start on a primary without migration 000008's tables, naming the fix. */
async function requireAdminSchema(primary: Primary): Promise<void> {
  const { rows } = await primary.query<{ ok: boolean }>("SELECT to_regclass('admin_audit') IS NOT NULL AND to_regclass('admin_tokens') IS NOT NULL AS ok");
  if (rows[0]?.ok !== true)
    throw new CapgateError("not_configured", `the primary (${primary.location}) has no admin tables; run \`capgate migrate up\` first`);
}

function listen(app: Hono<AdminEnv>, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once("error", reject);
  });
}
