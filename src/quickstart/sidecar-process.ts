// The quickstart's sidecar runs in a process of its own, started with fork():
// it imports the server alone (no compiler, no PGlite), reaches the embedded
// primary through the quickstart's process (ipc-primary.ts), and is stopped
// by it. `startSidecarProcess` is the quickstart's side; `runSidecarProcess`
// is the child's, run when this file is the process's entry point.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CapgateError, isCapgateError, CapgateErrors } from "../errors.js";
import type { Queryable } from "../primary/index.js";
import { answerPrimaryQueries, primaryOverIpc } from "./ipc-primary.js";

/** Settings for loadConfig's flags, as the quickstart builds them. */
export type SidecarSettings = Record<string, unknown>;

type FromChild = { type: "serving"; url: string } | { type: "refused"; message: string };

export interface SidecarProcess {
  url: string;
  pid: number;
  /** Settles when the process has ended, however it ended. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Asks the sidecar to stop and waits for it. */
  stop(): Promise<void>;
}

/** Starts the sidecar process; resolves once it serves, rejects with its one-line reason if it cannot. */
export async function startSidecarProcess(settings: SidecarSettings, primary: Queryable): Promise<SidecarProcess> {
  const entry = fileURLToPath(import.meta.url);
  // Under tsx (tests running the TypeScript source) the child needs the same loader.
  const execArgv = entry.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child: ChildProcess = fork(entry, [], {
    execArgv,
    env: { ...process.env, CAPGATE_SIDECAR_SETTINGS: JSON.stringify(settings) },
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const stopAnswering = answerPrimaryQueries(child, primary);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      stopAnswering();
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.on("message", (m: FromChild) => {
      if (m.type === "serving") resolve(m.url);
      else if (m.type === "refused") reject(new CapgateError("config_error", m.message));
    });
    void ended.then((e) => reject(new CapgateError("config_error", `the sidecar process ended (${e.code ?? e.signal}) before serving`)));
  });
  return {
    url,
    pid: child.pid ?? -1,
    ended,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await ended;
    },
  };
}

/** The child's side: serve until the quickstart asks to stop (SIGTERM) or goes away. */
async function runSidecarProcess(): Promise<void> {
  // Ctrl-C reaches the whole process group; the quickstart decides when its sidecar stops.
  process.on("SIGINT", () => undefined);
  const send = (m: FromChild): void => void process.send?.(m);
  let server;
  try {
    const { loadConfig } = await import("../server/config.js");
    const { startServer } = await import("../server/server.js");
    const config = loadConfig({ flags: JSON.parse(process.env["CAPGATE_SIDECAR_SETTINGS"] ?? "{}") as Record<string, unknown> });
    server = await startServer({ config, primary: primaryOverIpc(process) });
  } catch (e) {
    const message = isCapgateError(e) ? e.format() : e instanceof CapgateErrors ? e.errors.map((x) => x.format()).join("; ") : (e as Error).message;
    send({ type: "refused", message });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  send({ type: "serving", url: server.url });
  const running = server;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void running.close().finally(() => process.disconnect?.());
  };
  process.on("SIGTERM", stop);
  process.on("disconnect", stop);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1] && process.send !== undefined) await runSidecarProcess();
