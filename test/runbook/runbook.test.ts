// Runs every command of docs/deployment/ against a real PostgreSQL primary and
// two sidecars, so the documents cannot drift from the product. Each fenced
// `sh` block runs in bash (-euo pipefail) in document order; a block whose
// first line is `# on each sidecar host` runs once per sidecar, with that
// host's STATE, CONFIG and SIDECAR. The hosts' service manager is a small
// `systemctl` on PATH that runs the units of docs/deployment/*.service
// (start, stop, reload = SIGHUP as the units' ExecReload, restart, is-active),
// and `capgate` on PATH is this checkout's bin/capgate.js.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capgateCommand } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/primary.js";
import { tempDir } from "../server/helpers.js";
import { extractBlocks, type Block } from "./blocks.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DOCS = ["deployment-plan.md", "rollback-runbook.md"].map((f) => join(ROOT, "docs", "deployment", f));
const SIDECARS = ["a", "b"] as const;

let tmp: ReturnType<typeof tempDir>;
let db: TestDatabase;
let env: Record<string, string>;
const hostEnv: Record<string, Record<string, string>> = {};
const transcript: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The hosts' service manager, as far as the runbook uses it: the units' ExecStart and ExecReload. */
function systemctlShim(): string {
  const [node, bin] = capgateCommand() as [string, string];
  return `#!/usr/bin/env bash
# test stand-in for systemd: runs the units of docs/deployment/ for this host (RUN_DIR)
set -euo pipefail
action="$1"; unit="\${2%.service}"
pidfile="$RUN_DIR/$unit.pid"; log="$RUN_DIR/$unit.log"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
start() {
  running && return 0
  case "$unit" in
    capgate) set -a; [ -f "$STATE/capgate.env" ] && . "$STATE/capgate.env"; set +a
             nohup "${node}" "${bin}" serve --config "$CONFIG" >>"$log" 2>&1 & ;;
    capgate-sync) nohup "${node}" "${bin}" sync --follow --replica "$STATE/replica.db" --database-url "$PRIMARY_URL" --poll-interval 200 >>"$log" 2>&1 & ;;
    capgate-admin) nohup "${node}" "${bin}" admin serve --database-url "$PRIMARY_URL" --port "$ADMIN_PORT" --log-level warn >>"$log" 2>&1 & ;;
    *) echo "systemctl: unknown unit $unit" >&2; exit 5 ;;
  esac
  echo $! > "$pidfile"
}
stop() {
  running || return 0
  local pid; pid="$(cat "$pidfile")"; kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
}
case "$action" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  reload) running && kill -HUP "$(cat "$pidfile")" ;;
  is-active) running && echo active || { echo inactive; exit 3; } ;;
  *) echo "systemctl: unsupported $action" >&2; exit 1 ;;
esac
`;
}

function capgateShim(): string {
  const [node, bin] = capgateCommand() as [string, string];
  return `#!/usr/bin/env bash\nexec "${node}" "${bin}" "$@"\n`;
}

function run(block: Block, extra: Record<string, string>, host: string): void {
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", block.code], {
    cwd: ROOT,
    env: { ...env, ...extra },
    encoding: "utf8",
    timeout: 120_000,
    // No socket on stdin: bash would take itself for an ssh session and read the system bashrc.
    stdio: ["ignore", "pipe", "pipe"],
  });
  transcript.push(`--- ${block.file}:${block.line} (${host}) exit ${r.status}\n${block.code}${r.stdout}${r.stderr}`);
  process.stdout.write(`runbook ${r.status === 0 ? "ok  " : "FAIL"} ${block.file}:${block.line} on ${host}\n`);
  if (r.status !== 0)
    throw new Error(`${block.file}:${block.line} failed on ${host} (exit ${r.status ?? r.signal}):\n${block.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

function stopAll(): void {
  for (const host of [...SIDECARS.map((s) => hostEnv[s]), hostEnv["operator"]]) {
    if (host === undefined) continue;
    for (const unit of ["capgate", "capgate-sync", "capgate-admin"])
      spawnSync(join(env["SHIM_BIN"]!, "systemctl"), ["stop", unit], { env: { ...env, ...host }, encoding: "utf8" });
  }
}

/** What the documents' commands use besides capgate; a missing one fails the suite by name. */
const TOOLS = ["bash", "curl", "jq", "psql", "pg_dump", "pg_restore"];

beforeAll(async () => {
  const missing = TOOLS.filter((t) => spawnSync("bash", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0);
  if (missing.length > 0) throw new Error(`the runbook's commands need ${missing.join(", ")} on PATH (Debian: apt-get install curl jq postgresql-client)`);
  tmp = tempDir("capgate-runbook-");
  db = await createTestDatabase("runbook");
  const bin = join(tmp.dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "systemctl"), systemctlShim());
  writeFileSync(join(bin, "capgate"), capgateShim());
  chmodSync(join(bin, "systemctl"), 0o755);
  chmodSync(join(bin, "capgate"), 0o755);
  const releases = join(tmp.dir, "releases");
  const keys = join(tmp.dir, "keys");
  mkdirSync(releases);
  mkdirSync(keys);
  const adminPort = await freePort();
  env = {
    PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    HOME: tmp.dir,
    SHIM_BIN: bin,
    PRIMARY_URL: db.url,
    RELEASES: releases,
    KEYS: keys,
    REVISION: "capability-model-1",
    NEXT_REVISION: "capability-model-2",
    ADMIN_URL: `http://127.0.0.1:${adminPort}`,
    ADMIN_PORT: String(adminPort),
    CAPGATE_TOTP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64url"),
  };
  hostEnv["operator"] = { RUN_DIR: join(tmp.dir, "operator-run") };
  mkdirSync(hostEnv["operator"]["RUN_DIR"]!);
  for (const s of SIDECARS) {
    const state = join(tmp.dir, `sidecar-${s}`);
    const port = await freePort();
    mkdirSync(join(state, "run"), { recursive: true });
    const config = join(state, "capgate.yaml");
    // What provisioning puts on each sidecar host (docs/deployment/deployment-plan.md, "The hosts").
    writeFileSync(
      config,
      [
        `port: ${port}`,
        `bundle: ${join(state, "policy.tar.gz")}`,
        `replica: ${join(state, "replica.db")}`,
        `database_url: ${db.url}`,
        `decision_log: ${join(state, "decisions.log")}`,
        "max_staleness_seconds: 3600",
        "log_level: warn",
        "",
      ].join("\n"),
    );
    hostEnv[s] = { STATE: state, CONFIG: config, SIDECAR: `http://127.0.0.1:${port}`, RUN_DIR: join(state, "run") };
  }
  // Before the deployment: the legacy application's schema and data, nothing of capgate's yet.
  for (const args of [["migrate", "goto", "1"], ["demo", "seed"]]) {
    const r = spawnSync(join(bin, "capgate"), [...args, "--database-url", db.url], { encoding: "utf8", env });
    if (r.status !== 0) throw new Error(`capgate ${args.join(" ")}: ${r.stderr}`);
  }
}, 120_000);

afterAll(async () => {
  if (env !== undefined) stopAll();
  // The whole transcript (commands and their output) for a reader of a failed run.
  writeFileSync(join(tmpdir(), "capgate-runbook-transcript.log"), transcript.join("\n"));
  await db?.drop();
  tmp?.remove();
});

describe("docs/deployment runs as written", () => {
  for (const doc of DOCS) {
    it(`${doc.slice(ROOT.length + 1)}: every sh block succeeds, on the operator host or on each of two sidecars`, () => {
      const blocks = extractBlocks(readFileSync(doc, "utf8"), doc.slice(ROOT.length + 1));
      expect(blocks.length).toBeGreaterThan(5);
      for (const block of blocks) {
        if (block.onEachSidecar) for (const s of SIDECARS) run(block, hostEnv[s]!, `sidecar ${s}`);
        else run(block, hostEnv["operator"]!, "operator host");
      }
    }, 600_000);
  }
});
