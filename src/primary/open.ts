// Picks and opens the primary: a PostgreSQL server when a URL is given,
// otherwise the embedded engine under ./.capgate/primary.
import { resolve } from "node:path";
import { CapgateError } from "../errors.js";
import type { Primary } from "./types.js";

export const DEFAULT_DATA_DIR = ".capgate/primary";

export interface OpenPrimaryOptions {
  /** postgres:// URL; when absent the embedded engine is used. */
  databaseUrl?: string;
  /** Embedded engine directory (default ./.capgate/primary, relative to the cwd). */
  dataDir?: string;
  /** Pool size for a server (default 10). */
  maxConnections?: number;
  /**
   * A server is reached once at open, so a bad URL or a server that is down fails
   * here (default). A sidecar passes false: its decisions never need the primary,
   * so it serves on, and each TOTP statement meets the failure instead.
   */
  connectAtOpen?: boolean;
  /** Told of an idle pooled connection the server dropped (the pool replaces it); ignored by default. */
  onIdleError?: (e: Error) => void;
}

/** The URL with its password replaced, for messages and status lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "<unparseable database URL>";
  }
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CapgateError("config_error", "database URL is not a URL (expected postgres://user@host:port/database)");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new CapgateError(
      "config_error",
      `database URL must start with postgres:// or postgresql://, got ${u.protocol}//`,
    );
  }
}

export async function openPrimary(options: OpenPrimaryOptions = {}): Promise<Primary> {
  const url = options.databaseUrl;
  if (url !== undefined && url !== "") {
    checkUrl(url);
    // Each engine is loaded only when used: PGlite's Wasm is large, and a
    // server deployment should never pay for it.
    const { openPostgres } = await import("./postgres.js");
    return openPostgres({
      url,
      location: redactUrl(url),
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(options.connectAtOpen !== undefined ? { connectAtOpen: options.connectAtOpen } : {}),
      ...(options.onIdleError !== undefined ? { onIdleError: options.onIdleError } : {}),
    });
  }
  const { openPglite } = await import("./pglite.js");
  return openPglite(resolve(options.dataDir ?? DEFAULT_DATA_DIR));
}

/**
 * The connection settings a command should use: an explicit flag wins, then
 * DATABASE_URL from the environment, then the embedded engine.
 */
export function primaryOptionsFrom(
  flags: { databaseUrl?: string | undefined; dataDir?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): OpenPrimaryOptions {
  const url = flags.databaseUrl ?? env["DATABASE_URL"];
  const out: OpenPrimaryOptions = {};
  if (url !== undefined && url !== "") out.databaseUrl = url;
  if (flags.dataDir !== undefined) out.dataDir = flags.dataDir;
  return out;
}

/** Opens the primary, runs `fn`, and closes it whatever happens. */
export async function withPrimary<T>(options: OpenPrimaryOptions, fn: (primary: Primary) => Promise<T>): Promise<T> {
  const primary = await openPrimary(options);
  try {
    return await fn(primary);
  } finally {
    await primary.close();
  }
}
