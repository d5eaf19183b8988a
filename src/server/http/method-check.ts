// What answers a request no route took: 405 with an `Allow` header when the
// path is a known route asked with the wrong method (RFC 9110 §15.5.6), 404
// otherwise, both in the one JSON error shape. The known routes are read from
// the app itself, so a route added anywhere is covered without a list to keep.
import type { Hono, NotFoundHandler } from "hono";
import { inputError } from "./http-error.js";

/** Methods in the order `Allow` lists them. */
const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** A Hono route path as a regular expression: `*` any rest, `:name` one segment, `:name{re}` re. */
function pattern(path: string): RegExp {
  let re = "";
  for (const part of path.split(/(\*|:[A-Za-z0-9_]+(?:\{[^}]*\})?\??)/)) {
    if (part === "") continue;
    if (part === "*") re += ".*";
    else if (part.startsWith(":")) {
      const custom = /\{([^}]*)\}/.exec(part);
      re += `(?:${custom === null ? "[^/]+" : custom[1]})${part.endsWith("?") ? "?" : ""}`;
    } else re += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The methods the app's routes (middleware excluded) answer on `path`; empty for an unknown path. */
export function allowedMethods(app: Hono, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" || methods.has(r.method)) continue;
    if (pattern(r.path).test(path)) methods.add(r.method);
  }
  // Hono answers HEAD from a GET route.
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
}

export function notFoundOrWrongMethod(app: Hono): NotFoundHandler {
  return (c) => {
    const allow = allowedMethods(app, c.req.path);
    // The path is quoted: it is the caller's, decoded, and may hold a line break.
    if (allow.length === 0) throw inputError("path", "unknown_route", `no route ${c.req.method} ${JSON.stringify(c.req.path)}`);
    // Set before throwing: the error handler's answer is built on this same context.
    c.header("Allow", allow.join(", "));
    throw inputError("method", "method_not_allowed", `${c.req.method} is not allowed on ${JSON.stringify(c.req.path)} (allowed: ${allow.join(", ")})`);
  };
}
