// `capgate quickstart`: everything a newcomer needs, with no database server.
// It migrates and seeds the embedded primary, stores the demo user's TOTP
// secret, exports a snapshot and applies it to the replica, builds the policy
// bundle, then serves the sidecar (following the primary, so the replica stays
// current) and prints ready-to-paste curl lines. The sidecar runs in a process
// of its own (sidecar-process.ts) without the compiler and PGlite, so what
// serves stays as small as a deployed sidecar. Every step reuses what an
// earlier run left, so running it again is safe; holding the primary's
// directory lock for the whole run keeps a second concurrent run out.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { seedDemo } from "../demo/seed.js";
import { CapgateError } from "../errors.js";
import { migrate } from "../migrate/index.js";
import { openPrimary, type Primary } from "../primary/index.js";
import { buildBundle } from "../policy/tools/index.js";
import { readSources } from "../policy/tools/sources.js";
import { loadConfig } from "../server/config.js";
import { applySnapshot, exportSnapshot } from "../snapshot/index.js";
import { follow } from "../sync/index.js";
import { DEMO_TOTP_USER, demoTotpSecret, enrollDemoTotp } from "../totp/jobs/index.js";
import { ensureDevKeys } from "./keys.js";
import { startSidecarProcess, type SidecarProcess } from "./sidecar-process.js";
import { scenarios } from "./scenarios.js";

export interface QuickstartOptions {
  /** State directory (default ./.capgate). */
  stateDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Rego sources to build (default: the policies/ shipped with capgate). */
  policiesDir?: string;
  /** Shell command printing the demo user's current TOTP code, for the curl lines. */
  codeCommand: string;
  /** Progress and the final instructions, one line per call. */
  out: (line: string) => void;
  /** Aborting stops the run: before serving it stops between steps, after it shuts down. */
  signal: AbortSignal;
}

export function defaultPoliciesDir(): string {
  return fileURLToPath(new URL("../../policies/", import.meta.url));
}

/** Thrown between steps when the user stops the run before it serves. */
class Interrupted extends Error {}

function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted();
}

/** Wraps the shared primary so the follower's close() after each pass leaves it open. */
function borrowed(primary: Primary): Primary {
  return {
    kind: primary.kind,
    location: primary.location,
    query: (sql, params) => primary.query(sql, params),
    exec: (sql) => primary.exec(sql),
    transaction: (fn, options) => primary.transaction(fn, options),
    withAdvisoryLock: (key, fn) => primary.withAdvisoryLock(key, fn),
    close: async () => undefined,
  };
}

/** Resolves when the run has stopped cleanly after `signal` aborted. */
export async function runQuickstart(opts: QuickstartOptions): Promise<void> {
  const { out, signal } = opts;
  const stateDir = resolve(opts.stateDir ?? ".capgate");
  mkdirSync(stateDir, { recursive: true });
  const primary = await openPrimary({ dataDir: join(stateDir, "primary") });
  const follower = new AbortController();
  let following: Promise<void> | null = null;
  let server: SidecarProcess | null = null;
  try {
    const m = await migrate(primary, { up: "all" });
    out(`primary ${primary.location}: ${m.steps.length === 0 ? "schema already at" : "migrated to"} version ${m.to ?? "none"}`);
    stopIfAborted(signal);

    // Seeding after the data migration re-applies it to the new rows (see src/demo/seed.ts).
    const seeded = await seedDemo(primary);
    const i = seeded.inserted;
    out(`demo data: ${i.tenants} tenant(s), ${i.users} user(s) added${seeded.capabilitiesApplied ? ", capabilities applied" : ""}`);
    if (!seeded.capabilitiesApplied) throw new CapgateError("migration_error", "the demo rows did not get their capabilities");

    const keys = await ensureDevKeys(stateDir);
    if (keys.created.length > 0) out(`dev keys written: ${keys.created.join(", ")}`);
    const wrote = await enrollDemoTotp(primary, keys.totpKey);
    out(`TOTP for ${DEMO_TOTP_USER}: ${wrote ? "secret stored encrypted" : "already stored"}`);
    stopIfAborted(signal);

    const snapshotFile = join(stateDir, "snapshot.capgate");
    const replicaPath = join(stateDir, "replica.db");
    const info = await exportSnapshot(primary, snapshotFile);
    // force: the dev replica follows this primary only, and a primary rebuilt
    // from scratch must still replace a replica left by an earlier run.
    const applied = await applySnapshot(snapshotFile, replicaPath, { force: true });
    out(`replica ${replicaPath}: applied snapshot ${info.header.snapshot_id} (${applied.rows} rows)`);
    stopIfAborted(signal);

    const policiesDir = opts.policiesDir ?? defaultPoliciesDir();
    const bundlePath = join(stateDir, "bundle.tar.gz");
    const built = await buildBundle({ sources: readSources([policiesDir]), revision: "quickstart" });
    writeFileSync(bundlePath, built.bundle);
    out(`bundle ${bundlePath}: entrypoints ${built.entrypoints.join(", ")}`);
    stopIfAborted(signal);

    following = follow({
      connect: async () => borrowed(primary),
      replicaPath,
      signal: follower.signal,
      onNote: (line) => out(`sync: ${line}`),
    });
    const decisionLog = join(stateDir, "decisions.log");
    const settings = {
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 8181,
      bundle: bundlePath,
      replica: replicaPath,
      decision_log: decisionLog,
      log_level: "warn",
      "totp.encryption_key": keys.totpKey,
      "assertion.signing_key_file": keys.assertionKeyFile,
    };
    // Checked here too, so a bad setting is reported before a process is started for it.
    loadConfig({ flags: settings });
    server = await startSidecarProcess(settings, primary);

    out("");
    out(`capgate quickstart ready on ${server.url}  (Ctrl-C stops it; decisions are logged to ${decisionLog})`);
    out(`demo TOTP secret of ${DEMO_TOTP_USER} (tenant acme): ${demoTotpSecret()}`);
    out(`current code: ${opts.codeCommand}`);
    out(`          or: node -e "import('otplib').then(async (o) => console.log(await o.generate({ secret: '${demoTotpSecret()}' })))"`);
    for (const s of scenarios(server.url, opts.codeCommand)) {
      out("");
      out(`# ${s.title}`);
      out(`#   expect ${s.expect}`);
      for (const line of s.lines) out(line);
    }
    out("");
    const sidecar = server;
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | null>((done) => {
      if (signal.aborted) return done(null);
      signal.addEventListener("abort", () => done(null), { once: true });
      void sidecar.ended.then(done);
    });
    if (ended !== null) throw new CapgateError("config_error", `the sidecar process (pid ${sidecar.pid}) stopped unexpectedly (${ended.code ?? ended.signal}); see its output above`);
    out("stopping");
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    out("interrupted; stopped before serving");
  } finally {
    // Order matters: nothing may query the primary once it is closed.
    if (server !== null) await server.stop();
    follower.abort();
    if (following !== null) await following;
    await primary.close();
  }
}
