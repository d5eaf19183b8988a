// The subcommand groups of `capgate`, in the order `--help` lists them. Each
// group lives in its own file and registers itself on the program; it is
// loaded only when its command runs (or its help is asked for), so `capgate
// --help` and one command never pay for every other command's dependencies
// (the compiler, PGlite, NATS, the admin API). The summary here is
// what `capgate --help` lists without loading the group.
import type { Command } from "commander";

export interface CommandGroup {
  /** The top-level command the group registers. */
  name: string;
  summary: string;
  /** Loads the group's file and answers its register function. */
  load: () => Promise<(program: Command) => void>;
}

export const commandGroups: CommandGroup[] = [
  {
    name: "quickstart",
    summary: "migrate and seed an embedded primary, build the replica and the bundle, and serve the demo (npm start)",
    load: async () => (await import("./quickstart.js")).registerQuickstart,
  },
  {
    name: "serve",
    summary: "run the sidecar: answer /decide from the policy bundle and the replica (default 127.0.0.1:8181)",
    load: async () => (await import("./serve.js")).registerServe,
  },
  { name: "migrate", summary: "apply or revert the primary's schema migrations (golang-migrate compatible)", load: async () => (await import("./migrate.js")).registerMigrate },
  { name: "demo", summary: "demo data for the Quickstart and for trying capgate out", load: async () => (await import("./demo.js")).registerDemo },
  { name: "policy", summary: "build, evaluate, test and check Rego policies", load: async () => (await import("./policy.js")).registerPolicyCommands },
  { name: "snapshot", summary: "export, verify, inspect and apply replica snapshots", load: async () => (await import("./snapshot.js")).registerSnapshot },
  {
    name: "sync",
    summary: "apply the primary's changes since the replica's watermark (--follow: keep doing so)",
    load: async () => (await import("./sync.js")).registerSync,
  },
  {
    name: "relay",
    summary: "publish the primary's changes, snapshots and a heartbeat to NATS JetStream for a fleet of sidecars",
    load: async () => (await import("./relay.js")).registerRelay,
  },
  {
    name: "fleet",
    summary: "look at the sidecars following a relay over NATS (fleet status)",
    load: async () => (await import("./fleet.js")).registerFleet,
  },
  { name: "totp", summary: "TOTP secrets on the primary", load: async () => (await import("./totp.js")).registerTotp },
  { name: "keys", summary: "make the sidecar's keys: TOTP secret encryption, TOTP assertion signing", load: async () => (await import("./keys.js")).registerKeys },
  {
    name: "admin",
    summary: "the admin API on the primary: capability values, features, MFA resets, audit trail, staged rollouts",
    load: async () => (await import("./admin.js")).registerAdmin,
  },
];
