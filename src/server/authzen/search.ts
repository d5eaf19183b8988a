// The AuthZEN search APIs (subject, resource, action), served only when the
// bundle has the matching entrypoint beside the decision one (`authzen/decision`
// → `authzen/search/subject`, ...). The policy answers the whole result list;
// capgate cuts it into pages. A page token names the offset and a digest of
// the query it belongs to, so a token cannot be replayed against another query
// (that is a 400 naming `page.next_token`).
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { inputError } from "../http/http-error.js";
import type { Engine } from "../../policy/runtime/index.js";
import { SEARCH_KINDS, type SearchKind, type SearchRequest } from "./request.js";

export interface SearchPage {
  results: unknown[];
  page: { next_token: string };
}

/** The search entrypoint of a kind, a sibling of the decision entrypoint. */
export function searchEntrypoint(decisionEntrypoint: string, kind: SearchKind): string {
  const slash = decisionEntrypoint.lastIndexOf("/");
  const base = slash < 0 ? "" : `${decisionEntrypoint.slice(0, slash)}/`;
  return `${base}search/${kind}`;
}

/** The kinds of search the serving bundle offers. */
export function offeredSearches(engine: Engine, decisionEntrypoint: string): SearchKind[] {
  const names = engine.entrypoints;
  return SEARCH_KINDS.filter((k) => names.includes(searchEntrypoint(decisionEntrypoint, k)));
}

/**
 * One page of a search. A policy that cannot answer (no bundle, an error, a
 * result that is not an array of objects) gives no results: a search, like a
 * decision, fails closed.
 */
export function search(engine: Engine, entrypoint: string, req: SearchRequest, pageSize: number, deadlineMs: number): SearchPage {
  const queryJson = JSON.stringify(req.query);
  const digest = createHash("sha256").update(entrypoint).update("\0").update(queryJson).digest("base64url").slice(0, 16);
  const offset = req.token === undefined ? 0 : readToken(req.token, digest);
  const r = engine.evaluateDocument(entrypoint, queryJson, performance.now() + deadlineMs);
  const all = r.ok && Array.isArray(r.document) && r.document.every((x) => typeof x === "object" && x !== null && !Array.isArray(x)) ? r.document : [];
  const results = all.slice(offset, offset + pageSize);
  const next = offset + pageSize < all.length ? Buffer.from(`${offset + pageSize}.${digest}`).toString("base64url") : "";
  return { results, page: { next_token: next } };
}

function readToken(token: string, digest: string): number {
  const m = /^(\d{1,9})\.([A-Za-z0-9_-]{16})$/.exec(Buffer.from(token, "base64url").toString("latin1"));
  if (m === null || m[2] !== digest) throw inputError("page.next_token", "invalid_token", "is not a token this search gave for this query");
  return Number(m[1]);
}
