// Shared set-up for the sidecar suites: a real primary (the PostgreSQL server
// named by CAPGATE_TEST_DATABASE_URL in its own database, else PGlite in a
// temporary directory), a real SQLite replica built through snapshot export and
// apply, key files, and a real server on an ephemeral loopback port.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { compilePolicy } from "../../src/compiler/index.js";
import { migrate } from "../../src/migrate/index.js";
import { writeBundle } from "../../src/policy/bundle.js";
import type { Primary } from "../../src/primary/index.js";
import { freshPrimary } from "../helpers/primary.js";
import { applySnapshot, exportSnapshot } from "../../src/snapshot/index.js";
import { seedDemo } from "../../src/demo/seed.js";
import { loadConfig } from "../../src/server/config.js";
import { startServer, type RunningServer, type StartOptions } from "../../src/server/server.js";

export function tempDir(prefix = "capgate-server-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestPrimary {
  primary: Primary;
  /** A URL other processes/servers can connect to, when the primary is a server. */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A fresh, empty primary; with CAPGATE_TEST_DATABASE_URL set an unreachable server fails the test. */
export async function createTestPrimary(area: string): Promise<TestPrimary> {
  const t = await freshPrimary(area);
  return { primary: t.primary, url: t.databaseUrl, drop: () => t.cleanup() };
}

/** Migrates to the replicated schema, seeds the demo data, and builds a replica at `replicaPath`. */
export async function buildReplica(primary: Primary, dir: string, replicaPath = join(dir, "replica.db")): Promise<string> {
  await migrate(primary, { goto: 5 });
  await seedDemo(primary);
  const snap = join(dir, `snapshot-${randomBytes(3).toString("hex")}.cgs`);
  await exportSnapshot(primary, snap);
  await applySnapshot(snap, replicaPath, { force: true });
  return replicaPath;
}

export async function writeSigningKey(dir: string): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: "ES256", kid: "assert-1" };
  const file = join(dir, "assertion-key.json");
  writeFileSync(file, JSON.stringify(jwk));
  return file;
}

export function newEncryptionKey(): string {
  return randomBytes(32).toString("base64url");
}

/** A running server from flag-style settings; the decision log goes to a file in `dir`. */
export async function startTestServer(
  dir: string,
  flags: Record<string, unknown> = {},
  opts: Omit<StartOptions, "config"> = {},
): Promise<RunningServer & { decisionLogFile: string }> {
  const decisionLogFile = join(dir, `decisions-${randomBytes(3).toString("hex")}.log`);
  const config = loadConfig({
    flags: {
      port: 0,
      log_level: process.env["CAPGATE_TEST_LOG"] ?? "silent",
      watch: false,
      decision_log: decisionLogFile,
      // Generous: these suites test answers, not speed, on a shared 2-core machine.
      decision_deadline_ms: 10_000,
      ...flags,
    },
  });
  const server = await startServer({ ...opts, config });
  return Object.assign(server, { decisionLogFile });
}

export async function post(
  base: string,
  path: string,
  body: unknown,
  init: { raw?: string; contentType?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.contentType !== null) headers["content-type"] = init.contentType ?? "application/json";
  const res = await fetch(base + path, { method: "POST", headers, body: init.raw ?? JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/**
 * Compiles policies/ with capgate's compiler into a bundle file (the real
 * Wasm the sidecar serves); `revision` names it, `extraSource` adds a module.
 */
export async function buildTestBundle(
  file: string,
  revision: string,
  extraSource?: { file: string; text: string },
  entrypoints = ["capgate/token/issue", "capgate/token/validate", "capgate/mfa/requirement"],
): Promise<string> {
  const root = join(import.meta.dirname, "..", "..", "policies");
  const sources = listRego(root).map((f) => ({ file: f, text: readFileSync(f, "utf8") }));
  if (extraSource !== undefined) sources.push(extraSource);
  const m = compilePolicy({ sources, entrypoints });
  const bytes = await writeBundle({ wasm: m.wasm, entrypoints: m.entrypoints, revision });
  // Written beside and renamed, as a deployment would, so a watcher never sees half a file.
  const tmpFile = `${file}.tmp-${randomBytes(3).toString("hex")}`;
  writeFileSync(tmpFile, bytes);
  renameSync(tmpFile, file);
  return file;
}

function listRego(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listRego(p));
    else if (e.name.endsWith(".rego") && !e.name.endsWith("_test.rego")) out.push(p);
  }
  return out.sort();
}
