// The dashboard's sign-in state: a session is made when an admin token (or an
// OIDC bearer JWT) authenticates, and lives server-side only; the browser holds
// a random id in an HttpOnly, SameSite=Strict cookie (Secure unless the server
// is on loopback). The token is kept with the session and authenticated again
// on every request, so a revoked token ends its sessions at once. Each session
// has a CSRF token that every form (and every htmx request) must send back.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isLoopback } from "../../server/config.js";
import type { Authenticate } from "../auth.js";
import type { AdminEnv } from "../middleware/index.js";
import type { Principal } from "../principal.js";

export const SESSION_COOKIE = "capgate_session";
const COOKIE_PATH = "/admin";
/** Idle sessions end after this long. */
const IDLE_MS = 30 * 60 * 1000;
const MAX_SESSIONS = 10_000;

interface Session {
  credential: string;
  csrf: string;
  lastUsed: number;
}

export interface SignedIn {
  principal: Principal;
  csrf: string;
}

export type DashboardEnv = { Variables: AdminEnv["Variables"] & { signedIn: SignedIn } };

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly authenticate: Authenticate,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Authenticates the credential; on success sets the cookie and answers the principal, else null. */
  async signIn(c: Context, credential: string): Promise<Principal | null> {
    const principal = await this.authenticate(credential);
    if (principal === null || principal.role === "sidecar") return null;
    this.sweep();
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { credential, csrf: randomBytes(32).toString("base64url"), lastUsed: this.clock() });
    setCookie(c, SESSION_COOKIE, id, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: secureCookie(c) });
    return principal;
  }

  signOut(c: Context): void {
    const id = getCookie(c, SESSION_COOKIE);
    if (id !== undefined) this.sessions.delete(id);
    deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: secureCookie(c) });
  }

  /** The signed-in caller, or null (no cookie, an idle or unknown session, a revoked token). */
  async current(c: Context): Promise<SignedIn | null> {
    const id = getCookie(c, SESSION_COOKIE);
    if (id === undefined) return null;
    const s = this.sessions.get(id);
    if (s === undefined) return null;
    if (this.clock() - s.lastUsed > IDLE_MS) {
      this.sessions.delete(id);
      return null;
    }
    const principal = await this.authenticate(s.credential);
    if (principal === null) {
      this.sessions.delete(id);
      return null;
    }
    s.lastUsed = this.clock();
    return { principal, csrf: s.csrf };
  }

  private sweep(): void {
    const now = this.clock();
    for (const [id, s] of this.sessions) if (now - s.lastUsed > IDLE_MS) this.sessions.delete(id);
    // Bounded: the oldest go first when sign-ins flood in.
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (oldest.done === true) break;
      this.sessions.delete(oldest.value);
    }
  }
}

/** Pages need a session: without one, a page request goes to the sign-in page (htmx is told to go there too). */
export function requireSession(sessions: SessionStore): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const signedIn = await sessions.current(c);
    if (signedIn === null) {
      if (c.req.header("hx-request") === "true") return c.body(null, 401, { "hx-redirect": "/admin/sign-in" });
      return c.redirect("/admin/sign-in", 303);
    }
    c.set("signedIn", signedIn);
    return next();
  };
}

/** Every state-changing request carries the session's CSRF token, as a form field or the X-CSRF-Token header. */
export function requireCsrf(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const expected = c.get("signedIn").csrf;
    let given = c.req.header("x-csrf-token");
    if (given === undefined) {
      const form = await c.req.parseBody();
      const field = form["_csrf"];
      given = typeof field === "string" ? field : undefined;
    }
    if (given === undefined || !sameText(given, expected)) return c.text("This form has expired or did not come from this dashboard: reload the page and try again.", 403);
    return next();
  };
}

/**
 * Secure unless the dashboard is reached on a loopback address over plain http
 * (where browsers would not send a Secure cookie back); a TLS proxy in front says
 * so with X-Forwarded-Proto.
 */
function secureCookie(c: Context): boolean {
  if (c.req.header("x-forwarded-proto")?.toLowerCase() === "https") return true;
  const host = new URL(c.req.url).hostname.replace(/^\[(.*)\]$/, "$1");
  return !isLoopback(host);
}

/**
 * A POST whose Origin names another site is refused before anything else, the
 * sign-in included (so another site cannot sign a browser in with its own token).
 */
export function sameOrigin(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && origin !== undefined && origin !== "null") {
      let host: string | null = null;
      try {
        host = new URL(origin).host;
      } catch {
        host = null;
      }
      if (host !== new URL(c.req.url).host) return c.text("This form was sent from another site and is refused.", 403);
    }
    return next();
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A strict Content-Security-Policy (no inline script or style) and the usual hardening headers. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header(
      "content-security-policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("x-frame-options", "DENY");
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  };
}
