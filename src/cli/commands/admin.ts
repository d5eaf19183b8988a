// `capgate admin serve|token create|token list|token revoke`: the admin API on
// the primary, and the bearer tokens that reach it. Tokens are printed once,
// on stdout; only their hash is stored.
import { Command, Option } from "commander";
import { createAdminToken, listAdminTokens, loadAdminConfig, revokeAdminToken, cliActor, startAdminServer, ROLES } from "../../admin/index.js";
import { addPrimaryOptions, primaryOptionsFromFlags, withPrimary, type PrimaryFlags } from "../../primary/index.js";

interface ServeFlags extends PrimaryFlags {
  config?: string;
  host?: string;
  port?: number;
  allowNonLoopback?: boolean;
  logLevel?: string;
}

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port must be a port number (0-65535), got ${JSON.stringify(v)}`);
  return Number(v);
}

export function registerAdmin(program: Command): void {
  const admin = program.command("admin").description("the admin API on the primary: capability values, features, MFA resets, audit trail, staged rollouts");

  addPrimaryOptions(admin.command("serve"))
    .description("serve the admin API (/admin/v1) on the primary (default 127.0.0.1:8282); SIGTERM stops it")
    .option("--config <file>", "config file (YAML or JSON): host, port, oidc, auth_failures, ...")
    .option("--host <host>", "address to bind (default 127.0.0.1)")
    .option("--port <n>", "port to bind (default 8282)", port)
    .option("--allow-non-loopback", "allow binding a non-loopback address")
    .addOption(new Option("--log-level <level>", "service log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .action(async (flags: ServeFlags) => {
      const primary = primaryOptionsFromFlags(flags);
      const config = loadAdminConfig({
        file: flags.config,
        flags: {
          host: flags.host,
          port: flags.port,
          allow_non_loopback: flags.allowNonLoopback,
          log_level: flags.logLevel,
          database_url: primary.databaseUrl,
          data_dir: primary.dataDir,
        },
      });
      const server = await startAdminServer({ config });
      process.stderr.write(`capgate admin serving on ${server.url}/admin/v1 (primary ${server.primary.location})\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });

  const token = admin.command("token").description("admin API bearer tokens");

  addPrimaryOptions(token.command("create"))
    .description("create a token and print it once on stdout (only its SHA-256 is stored)")
    .addOption(new Option("--role <role>", "what the token may do").choices([...ROLES]).makeOptionMandatory())
    .option("--tenant <id>", "the tenant a tenant-admin (or a viewer) is limited to")
    .option("--name <name>", "name recorded as the actor in the audit trail (default: role and id)")
    .action(async (flags: PrimaryFlags & { role: string; tenant?: string; name?: string }) => {
      const created = await withPrimary(primaryOptionsFromFlags(flags), (p) =>
        createAdminToken(p, { role: flags.role, tenant: flags.tenant, name: flags.name, actor: cliActor() }),
      );
      process.stderr.write(`token ${created.record.id} (${created.record.name}, ${created.record.role}${created.record.tenant_id ? ` of ${created.record.tenant_id}` : ""}) created; it is shown only now:\n`);
      process.stdout.write(`${created.token}\n`);
    });

  addPrimaryOptions(token.command("list"))
    .description("list tokens (id, name, role, tenant, created, revoked); never the token itself")
    .action(async (flags: PrimaryFlags) => {
      const tokens = await withPrimary(primaryOptionsFromFlags(flags), (p) => listAdminTokens(p));
      for (const t of tokens)
        process.stdout.write(`${t.id}\t${t.name}\t${t.role}\t${t.tenant_id ?? "-"}\t${t.created_at}\t${t.revoked_at === null ? "live" : `revoked ${t.revoked_at}`}\n`);
    });

  addPrimaryOptions(token.command("revoke"))
    .description("revoke a token by id; it stops working at once")
    .argument("<id>", "token id (capgate admin token list)")
    .action(async (id: string, flags: PrimaryFlags) => {
      const t = await withPrimary(primaryOptionsFromFlags(flags), (p) => revokeAdminToken(p, id, cliActor()));
      process.stdout.write(`revoked ${t.id} (${t.name}) at ${t.revoked_at}\n`);
    });
}
