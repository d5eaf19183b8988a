// The quickstart's primary, reached from its sidecar process over the IPC
// channel of fork(): the embedded PGlite lives in the quickstart's own process
// (one process may open it), and the sidecar, which only runs the TOTP
// statements, sends each statement there and gets the rows back. Keeping
// PGlite and the compiler out of the serving process is what keeps it small.
import type { ChildProcess } from "node:child_process";
import type { Queryable, QueryResult, Row } from "../primary/index.js";

/** A statement with parameters (query), or a script without (exec). */
type Request = { type: "query"; id: number; text: string; params: readonly unknown[] } | { type: "exec"; id: number; text: string };
type Reply = { type: "rows"; id: number; result: QueryResult } | { type: "failed"; id: number; message: string; code?: string };

const isRequest = (m: unknown): m is Request =>
  typeof m === "object" && m !== null && ((m as { type?: unknown }).type === "query" || (m as { type?: unknown }).type === "exec");
const isReply = (m: unknown): m is Reply =>
  typeof m === "object" && m !== null && ((m as { type?: unknown }).type === "rows" || (m as { type?: unknown }).type === "failed");

/** Parent side: answers the child's statements on `primary`. Returns a function that stops answering. */
export function answerPrimaryQueries(child: ChildProcess, primary: Queryable): () => void {
  const onMessage = (m: unknown): void => {
    if (!isRequest(m)) return;
    const run = m.type === "exec" ? primary.exec(m.text).then(() => ({ rows: [], rowCount: 0 })) : primary.query(m.text, m.params);
    run.then(
      (result) => reply({ type: "rows", id: m.id, result }),
      (e: unknown) => {
        const code = (e as { code?: unknown }).code;
        reply({ type: "failed", id: m.id, message: (e as Error).message ?? String(e), ...(typeof code === "string" ? { code } : {}) });
      },
    );
  };
  const reply = (r: Reply): void => {
    // The child may be gone already; its own end is reported where it is awaited.
    if (child.connected) child.send(r, (e) => void e);
  };
  child.on("message", onMessage);
  return () => child.off("message", onMessage);
}

/** Child side: a Queryable whose statements run in the parent. */
export function primaryOverIpc(channel: NodeJS.Process): Queryable {
  let next = 0;
  const pending = new Map<number, { resolve: (result: QueryResult) => void; reject: (e: Error) => void }>();
  channel.on("message", (m: unknown) => {
    if (!isReply(m)) return;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.type === "rows") p.resolve(m.result);
    else p.reject(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
  });
  channel.on("disconnect", () => {
    for (const p of pending.values()) p.reject(new Error("the quickstart's primary is gone"));
    pending.clear();
  });
  const send = (request: Request): Promise<QueryResult> => {
    if (channel.send === undefined || !channel.connected) return Promise.reject(new Error("the quickstart's primary is gone"));
    return new Promise((resolve, reject) => {
      pending.set(request.id, { resolve, reject });
      channel.send!(request);
    });
  };
  return {
    query: <R extends Row = Row>(text: string, params: readonly unknown[] = []) =>
      send({ type: "query", id: ++next, text, params }) as Promise<QueryResult<R>>,
    exec: async (text: string) => {
      await send({ type: "exec", id: ++next, text });
    },
  };
}
