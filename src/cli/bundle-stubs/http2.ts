// What the serve bundle has in place of node:http2 (scripts/build.mjs aliases it):
// @hono/node-server imports node:http2 only to ask whether a request is an
// HTTP/2 one (`instanceof Http2ServerRequest`), and loading it cost ~8 ms of
// serve's start. The sidecar listens with node:http alone, so no request is one:
// a class nothing is an instance of answers those checks as node:http2 would.
export class Http2ServerRequest {
  private constructor() {}
}

/** Read only for an HTTP/2 request's stream, which never exists here. */
export const constants = { NGHTTP2_NO_ERROR: 0 } as const;
