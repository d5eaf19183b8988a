// The quickstart's primary, reached from its sidecar process over the IPC
// channel of fork(): the embedded PGlite lives in the quickstart's own process
// (one process may open it), and the sidecar, which only runs the TOTP
// statements, sends each statement there and gets the rows back. Keeping
// PGlite and the compiler out of the serving process is what keeps it small.
import type { ChildProcess } from "node:child_process";
import type { Queryable } from "../totp/index.js";

type Request = { type: "query"; id: number; text: string; params: readonly unknown[] };
type Reply = { type: "rows"; id: number; rows: Record<string, unknown>[] } | { type: "failed"; id: number; message: string; code?: string };

const isRequest = (m: unknown): m is Request => typeof m === "object" && m !== null && (m as { type?: unknown }).type === "query";
const isReply = (m: unknown): m is Reply =>
  typeof m === "object" && m !== null && ((m as { type?: unknown }).type === "rows" || (m as { type?: unknown }).type === "failed");

/** Parent side: answers the child's statements on `primary`. Returns a function that stops answering. */
export function answerPrimaryQueries(child: ChildProcess, primary: Queryable): () => void {
  const onMessage = (m: unknown): void => {
    if (!isRequest(m)) return;
    primary.query(m.text, m.params).then(
      (r) => reply({ type: "rows", id: m.id, rows: r.rows }),
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
  const pending = new Map<number, { resolve: (rows: Record<string, unknown>[]) => void; reject: (e: Error) => void }>();
  channel.on("message", (m: unknown) => {
    if (!isReply(m)) return;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.type === "rows") p.resolve(m.rows);
    else p.reject(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
  });
  channel.on("disconnect", () => {
    for (const p of pending.values()) p.reject(new Error("the quickstart's primary is gone"));
    pending.clear();
  });
  return {
    query<R extends Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<{ rows: R[] }> {
      if (channel.send === undefined || !channel.connected) return Promise.reject(new Error("the quickstart's primary is gone"));
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: (rows) => resolve({ rows: rows as R[] }), reject });
        channel.send!({ type: "query", id, text, params } satisfies Request);
      });
    },
  };
}
