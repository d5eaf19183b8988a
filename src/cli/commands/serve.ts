// `capgate serve`: runs the sidecar. Settings come from --config (YAML or
// JSON), CAPGATE_* environment variables and these flags, in rising order of
// precedence; every bad setting is reported on its own line before anything starts.
import { Command, Option } from "commander";
import { loadConfig } from "../../server/config.js";
import { startServer } from "../../server/server.js";

interface ServeFlags {
  config?: string;
  replica?: string;
  bundle?: string;
  databaseUrl?: string;
  host?: string;
  port?: number;
  allowNonLoopback?: boolean;
  adminToken?: string;
  decisionLog?: string;
  maxStaleness?: number;
  watch?: boolean;
  logLevel?: string;
  check?: boolean;
  verificationKey?: string;
  verificationKeyId?: string;
  scope?: string;
  nats?: string;
  stream?: string;
}

function integer(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .summary("run the sidecar: answer /decide from the policy bundle and the replica (default 127.0.0.1:8181)")
    .description(
      "run the sidecar: answer /decide from the policy bundle and the replica (default 127.0.0.1:8181).\nSIGHUP reopens the decision log file and loads a changed bundle or replica; SIGTERM stops it.",
    )
    .option("--config <file>", "config file (YAML or JSON); see sidecar/capgate.example.yaml")
    .option("--replica <file>", "SQLite replica to answer from")
    .option("--bundle <file>", "policy bundle (what `capgate policy build` writes)")
    .option("--database-url <url>", "primary PostgreSQL, for TOTP single use and lockout (or DATABASE_URL)")
    .option("--host <host>", "address to bind (default 127.0.0.1)")
    .option("--port <n>", "port to bind (default 8181)", integer("--port"))
    .option("--allow-non-loopback", "allow binding a non-loopback address (needs an admin token)")
    .option("--admin-token <token>", "bearer token required on every route but /health (or CAPGATE_ADMIN_TOKEN)")
    .option("--decision-log <target>", "decision log: stdout, a file path, or off")
    .option("--max-staleness <seconds>", "deny when the replica is older than this", integer("--max-staleness"))
    .addOption(new Option("--log-level <level>", "service log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .option("--no-watch", "do not reload the bundle and replica when they change")
    .option("--verification-key <file>", "refuse bundles not signed with this key (OPA format): PEM public key or certificate, or a file holding an HMAC secret")
    .option("--verification-key-id <id>", "key id the bundle signature must name, if it names one (default: default)")
    .option("--scope <scope>", "scope the bundle signature must carry (default: none)")
    .option("--nats <url>", "keep the replica from a relay over NATS JetStream (sync.nats_url)")
    .option("--stream <name>", "the relay's stream (sync.stream, default CAPGATE)")
    .option("--check", "load and check the config, bundle, replica, keys and primary, print what was found, and exit (1 on a problem) without serving")
    .action(async (flags: ServeFlags) => {
      const config = loadConfig({
        file: flags.config,
        env: process.env,
        flags: {
          replica: flags.replica,
          bundle: flags.bundle,
          database_url: flags.databaseUrl,
          host: flags.host,
          port: flags.port,
          allow_non_loopback: flags.allowNonLoopback,
          admin_token: flags.adminToken,
          decision_log: flags.decisionLog,
          max_staleness_seconds: flags.maxStaleness,
          log_level: flags.logLevel,
          "bundle_verification.key_file": flags.verificationKey,
          "bundle_verification.key_id": flags.verificationKeyId,
          "bundle_verification.scope": flags.scope,
          "sync.nats_url": flags.nats,
          "sync.stream": flags.stream,
          // commander sets watch=true unless --no-watch; only an explicit "no" overrides the file.
          watch: flags.watch === false ? false : undefined,
        },
      });
      if (flags.check === true) {
        // Only --check needs the preflight (and pg, which it opens the primary with).
        const { preflight } = await import("../../server/preflight.js");
        const findings = await preflight(config);
        for (const f of findings) process.stdout.write(`${f.level.padEnd(8)} ${f.part}: ${f.message}\n`);
        const problems = findings.filter((f) => f.level === "problem").length;
        const warnings = findings.filter((f) => f.level === "warning").length;
        process.stdout.write(problems > 0 ? `check failed: ${problems} problem(s), ${warnings} warning(s)\n` : `check passed: ${warnings} warning(s)\n`);
        if (problems > 0) process.exitCode = 1;
        return;
      }
      const server = await startServer({ config });
      // SIGHUP (systemctl reload) reopens the decision log file after rotation and loads a
      // changed bundle or replica now, also under --no-watch; Node's default would end the process.
      const reopen = (): void => void server.reload();
      process.on("SIGHUP", reopen);
      const stopped = new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          process.off("SIGHUP", reopen);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      // Said once the handlers are in place: a supervisor that signals on seeing it gets a clean stop.
      process.stderr.write(`capgate serving on ${server.url}\n`);
      await stopped;
    });
}
