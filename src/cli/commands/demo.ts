// `capgate demo seed`: writes the demo tenants and users (see src/demo/seed.ts
// for who requires MFA and who is enrolled) into the primary.
import type { Command } from "commander";
import { seedDemo } from "../../demo/seed.js";
import { DEMO_TOTP_USER, demoTotpCode } from "../../totp/jobs/index.js";
import { addPrimaryOptions, primaryOptionsFromFlags, withPrimary, type PrimaryFlags } from "../../primary/index.js";

export function registerDemo(program: Command): void {
  const group = program.command("demo").description("demo data for the Quickstart and for trying capgate out");

  addPrimaryOptions(group.command("seed"))
    .description("insert the demo tenants and users into the primary's legacy tables (idempotent)")
    .action(async (flags: PrimaryFlags) => {
      await withPrimary(primaryOptionsFromFlags(flags), async (primary) => {
        const r = await seedDemo(primary);
        const i = r.inserted;
        process.stdout.write(
          `seeded ${primary.location}: ${i.tenants} tenant(s), ${i.tenantSettings} tenant setting(s), ${i.users} user(s) added` +
            (r.capabilitiesApplied ? "; capability rules applied\n" : "\n"),
        );
      });
    });

  group
    .command("totp-code")
    .description("print the current TOTP code of a demo user (public demo secrets only)")
    .option("--user <id>", "demo user", DEMO_TOTP_USER)
    .action(async (flags: { user: string }) => {
      process.stdout.write((await demoTotpCode(flags.user)) + "\n");
    });
}
