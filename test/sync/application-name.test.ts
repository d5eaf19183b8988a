// Every PostgreSQL connection capgate makes carries an application_name naming
// the command (`capgate-sync`, `capgate-migrate`, ...), seen by the server in
// pg_stat_activity; an application_name in the database URL still wins.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicationName, openPrimary, setApplicationName, type Primary } from "../../src/primary/index.js";
import { capgateCommand } from "../helpers/cli.js";
import { hardeningFixture, type HardeningFixture } from "../server/hardening-fixture.js";

let fx: HardeningFixture;

beforeAll(async () => {
  fx = await hardeningFixture("app_name");
}, 300_000);

afterAll(async () => {
  await fx?.remove();
});

const nameOf = async (p: Primary): Promise<string> => (await p.query<{ n: string }>("SELECT current_setting('application_name') AS n")).rows[0]!.n;

describe("application_name", () => {
  it("names a primary's connections after the command, unless the URL names them", async () => {
    const before = applicationName();
    try {
      setApplicationName("migrate");
      const p = await openPrimary({ databaseUrl: fx.db.url! });
      expect(await nameOf(p)).toBe("capgate-migrate");
      await p.close();
      const u = new URL(fx.db.url!);
      u.searchParams.set("application_name", "ops-console");
      const q = await openPrimary({ databaseUrl: u.toString() });
      expect(await nameOf(q)).toBe("ops-console");
      await q.close();
    } finally {
      setApplicationName(before.replace(/^capgate-?/, ""));
    }
  });

  it("shows `capgate sync --follow`'s query and LISTEN connections as capgate-sync in pg_stat_activity", async () => {
    const [node, bin] = capgateCommand() as [string, string];
    const child = spawn(node, [bin, "sync", "--follow", "--replica", join(fx.dir, "followed.db"), "--database-url", fx.db.url!, "--poll-interval", "200"]);
    let out = "";
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const database = new URL(fx.db.url!).pathname.slice(1);
    try {
      let names: string[] = [];
      for (let i = 0; i < 150 && names.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const r = await fx.db.primary.query<{ application_name: string }>(
          "SELECT application_name FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'capgate-%'",
          [database],
        );
        names = r.rows.map((row) => row.application_name);
      }
      expect(names, out).toEqual(["capgate-sync", "capgate-sync"]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
    }
  }, 60_000);
});
