// Refuses a request whose Host header names no address this sidecar answers
// on, which is how DNS rebinding is stopped: a web page on evil.example.com
// that re-points its name at 127.0.0.1 can make a developer's browser send
// requests to the sidecar, but the browser still says `Host: evil.example.com`.
// Accepted: the bound address and `localhost`, each with the bound port, and
// the names in `allowed_hosts` (`name` for any port, `name:port` for one).
import type { MiddlewareHandler } from "hono";
import { inputError } from "./http-error.js";

export interface HostCheckOptions {
  /** The address the server binds (config.host). */
  boundHost: string;
  /** The bound port; read per request, since port 0 is resolved only when listening. */
  port: () => number;
  /** Further names operators reach the sidecar by (config.allowed_hosts). */
  allowedHosts: readonly string[];
  /** Paths answered whatever the Host: probes that cannot choose it (kubelet sends the pod IP). */
  exempt?: readonly string[];
}

interface HostName {
  name: string;
  port: number | undefined;
}

/** `name`, `name:port`, `[v6]` or `[v6]:port`, lower-cased; undefined when it is none of these. */
export function parseHost(text: string): HostName | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(text);
  if (m === null) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { name: m[1]!.toLowerCase(), port };
}

/** The names the bound address answers to; a wildcard bind answers on loopback too. */
function boundNames(host: string): string[] {
  const bracketed = host.includes(":") ? `[${host.toLowerCase()}]` : host.toLowerCase();
  const names = [bracketed, "localhost"];
  if (host === "0.0.0.0" || host === "::") names.push("127.0.0.1", "[::1]");
  return names;
}

/** Host header texts remembered as accepted; a client sends the same one on every request. */
const ACCEPTED_TEXTS = 64;

export function hostCheck(opts: HostCheckOptions): MiddlewareHandler {
  const own = boundNames(opts.boundHost);
  const allowed = opts.allowedHosts.map((h) => parseHost(h)).filter((h) => h !== undefined);
  const accepts = (h: HostName, boundPort: number): boolean => {
    // No port in Host means the scheme's default; this server speaks plain HTTP.
    const port = h.port ?? 80;
    if (own.includes(h.name) && port === boundPort) return true;
    return allowed.some((a) => a.name === h.name && (a.port === undefined || a.port === port));
  };
  // Only accepted texts are kept (a refused one is judged again each time), for the port they were judged at.
  const accepted = new Set<string>();
  let acceptedAt = -1;
  // Not async: compose() catches what it throws, and one promise less is made per request.
  return (c, next) => {
    if (opts.exempt?.includes(c.req.path)) return next();
    const given = c.req.header("host");
    const boundPort = opts.port();
    if (boundPort !== acceptedAt) {
      accepted.clear();
      acceptedAt = boundPort;
    }
    if (given !== undefined && accepted.has(given)) return next();
    const parsed = given === undefined ? undefined : parseHost(given);
    if (given === undefined || parsed === undefined || !accepts(parsed, boundPort))
      throw inputError(
        "host",
        "misdirected_host",
        `${given === undefined ? "(none)" : JSON.stringify(given)} is not a name this sidecar answers to; add it to allowed_hosts if it should be`,
      );
    if (accepted.size < ACCEPTED_TEXTS) accepted.add(given);
    return next();
  };
}
