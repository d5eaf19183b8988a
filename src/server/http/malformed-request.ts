// Requests too broken to reach the Hono app, answered in the one JSON error
// shape all the same: what @hono/node-server cannot turn into a Request (a
// backslash in the path, a Host it cannot parse), which it would answer with an
// empty 400, and what Node's HTTP parser rejects (bad framing, oversized
// headers), which it would answer with a bare status line or not at all.
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { RequestError } from "@hono/node-server";
import { inputError, toHttpError } from "./http-error.js";

/** getRequestListener's errorHandler: the adapter's refusal as an invalid_input answer. */
export function malformedRequestAnswer(e: unknown): Response {
  const err = e instanceof RequestError ? inputError("request", "malformed_request", e.message) : e;
  const { status, body } = toHttpError(err);
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** Answers Node's parser errors with a JSON 400 and closes the connection, as Node's docs advise. */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    // An answer already on its way (bytes after a Connection: close request, say) is the
    // connection's last: a second one after it would be read as the answer to nothing. As
    // Node's own handler, write only when no in-flight response has sent its head; ours are
    // written head and body at once, so ending after it cuts nothing.
    if (inFlight(socket)?.headersSent === true) {
      socket.end();
      return;
    }
    const { status, body } = toHttpError(inputError("request", "malformed_request", `is not a valid HTTP/1.1 request (${err.code ?? "parse error"})`));
    const text = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  });
}

/** The response Node's server is writing on this socket, if any (the field Node's own clientError handler reads). */
function inFlight(socket: Duplex): { headersSent: boolean } | undefined {
  return (socket as Duplex & { _httpMessage?: { headersSent: boolean } | null })._httpMessage ?? undefined;
}
