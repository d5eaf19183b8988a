// uri.parse and uri.is_valid: a URI split into its parts as Go's url.Parse
// splits it for OPA (scheme, hostname, port, path, raw_path, raw_query,
// fragment; empty parts left out), with Go's rules for what is an error.
import { builtinError, str, type HostBuiltinImpl } from "./types.js";

class UriError extends Error {}

const HEX = /^[0-9a-fA-F]{2}$/;
const isAlnum = (c: string): boolean => /^[a-zA-Z0-9]$/.test(c);

/** Go's unescape: %XX sequences decoded to bytes, read as UTF-8; a malformed escape is an error. */
function unescape(s: string, host: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%") {
      const h = s.slice(i + 1, i + 3);
      if (!HEX.test(h)) throw new UriError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(h, 16));
      i += 2;
      continue;
    }
    if (host && c.charCodeAt(0) < 0x80 && !isAlnum(c) && !"-_.~!$&'()*+,;=:[]<>\"".includes(c)) {
      throw new UriError(`invalid character ${JSON.stringify(c)} in host name`);
    }
    bytes.push(...Buffer.from(c, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Go's escape of a path: what stays as it is, everything else as %XX. */
function escapePath(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && (isAlnum(c) || "-_.~$&+,/:;=@".includes(c)) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

interface Parts {
  scheme: string;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  fragment: string;
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    for (const c of userinfo) {
      if (!isAlnum(c) && !"-._:~!$&'()*+,;=%@".includes(c)) throw new UriError("net/url: invalid userinfo");
    }
  }
  const host = authority.slice(at + 1);
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) throw new UriError("missing ']' in host");
    const port = host.slice(end + 1);
    if (port !== "" && !/^:\d*$/.test(port)) throw new UriError(`invalid port ${JSON.stringify(port)} after host`);
    return host;
  }
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && !/^:\d*$/.test(host.slice(colon))) throw new UriError(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
  return unescape(host, true);
}

export function goUrlParse(raw: string): Parts {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new UriError("net/url: invalid control character in URL");
  const hash = raw.indexOf("#");
  const fragment = hash >= 0 ? unescape(raw.slice(hash + 1), false) : "";
  let rest = hash >= 0 ? raw.slice(0, hash) : raw;
  let scheme = "";
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(":")) throw new UriError("missing protocol scheme");
  let rawQuery = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const parts: Parts = { scheme, host: "", path: "", rawPath: "", rawQuery, fragment };
  if (!rest.startsWith("/")) {
    // With a scheme, the rest is opaque; without one, a colon would be read as a scheme.
    if (scheme !== "") return parts;
    const slash = rest.indexOf("/");
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(":")) throw new UriError("first path segment in URL cannot contain colon");
  }
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    parts.host = parseAuthority(end < 0 ? rest.slice(2) : rest.slice(2, end));
    rest = end < 0 ? "" : rest.slice(end);
  }
  parts.path = unescape(rest, false);
  parts.rawPath = escapePath(parts.path) === rest ? "" : rest;
  return parts;
}

function hostAndPort(host: string): { hostname: string; port: string } {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return { hostname: host.slice(1, end), port: host.slice(end + 2) };
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 ? { hostname: host, port: "" } : { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
}

function uriParse(raw: string): Record<string, string> {
  const p = goUrlParse(raw);
  const { hostname, port } = hostAndPort(p.host);
  const out: Record<string, string> = {};
  if (p.scheme) out["scheme"] = p.scheme;
  if (hostname) out["hostname"] = hostname;
  if (port) out["port"] = port;
  if (p.path) {
    out["path"] = p.path;
    out["raw_path"] = p.rawPath || p.path;
  }
  if (p.rawQuery) out["raw_query"] = p.rawQuery;
  if (p.fragment) out["fragment"] = p.fragment;
  return out;
}

export const uriBuiltins: HostBuiltinImpl<"uri">[] = [
  {
    name: "uri.parse",
    impl: (a) => {
      const s = str("uri.parse", a, 0);
      try {
        return uriParse(s);
      } catch (e) {
        if (e instanceof UriError) throw builtinError("uri.parse", `parse ${JSON.stringify(s)}: ${e.message}`);
        throw e;
      }
    },
  },
  {
    name: "uri.is_valid",
    impl: (a) => {
      if (typeof a[0] !== "string" || a[0] === "") return false;
      try {
        goUrlParse(a[0]);
        return true;
      } catch (e) {
        if (e instanceof UriError) return false;
        throw e;
      }
    },
  },
];
