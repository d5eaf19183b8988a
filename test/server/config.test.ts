// Settings: defaults, precedence (file < env < flags), and one config_error line
// per bad setting, so an operator sees every mistake at once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CapgateErrors } from "../../src/errors.js";
import { loadConfig, type ConfigSources } from "../../src/server/config.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir("capgate-config-");
afterAll(() => tmp.remove());

function errorsOf(sources: ConfigSources): string[] {
  try {
    loadConfig(sources);
  } catch (e) {
    expect(e).toBeInstanceOf(CapgateErrors);
    return (e as CapgateErrors).errors.map((x) => x.format());
  }
  throw new Error("expected the config to be refused");
}

describe("config", () => {
  it("has safe defaults", () => {
    const c = loadConfig();
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(8181);
    expect(c.totp.window).toBe(1);
    expect(c.totp.lockout_threshold).toBeLessThanOrEqual(100);
    expect(c.jwt.algorithms).not.toContain("none");
    expect(c.totp.encryption_key).toBeUndefined();
  });

  it("reads YAML and JSON files; env overrides the file and flags override env", () => {
    const yamlFile = join(tmp.dir, "c.yaml");
    writeFileSync(yamlFile, "port: 9000\nmax_staleness_seconds: 60\ntotp:\n  window: 2\n  lockout_seconds: 60\n");
    const jsonFile = join(tmp.dir, "c.json");
    writeFileSync(jsonFile, JSON.stringify({ port: 9100, jwt: { algorithms: ["ES256"] } }));
    expect(loadConfig({ file: yamlFile }).totp).toMatchObject({ window: 2, lockout_seconds: 60, lockout_threshold: 5 });
    expect(loadConfig({ file: jsonFile }).jwt.algorithms).toEqual(["ES256"]);
    const c = loadConfig({ file: yamlFile, env: { CAPGATE_PORT: "9001", CAPGATE_TOTP_WINDOW: "0" }, flags: { port: 9002 } });
    expect(c.port).toBe(9002);
    expect(c.totp.window).toBe(0);
    expect(c.max_staleness_seconds).toBe(60);
    expect(loadConfig({ env: { DATABASE_URL: "postgres://x@h/db" } }).database_url).toBe("postgres://x@h/db");
  });

  it("reports every bad setting on its own line", () => {
    const file = join(tmp.dir, "bad.yaml");
    writeFileSync(file, "port: 70000\ntotp:\n  lockout_threshold: 500\n  colour: blue\njwt:\n  algorithms: [none, RS256, XX1]\n");
    const lines = errorsOf({ file, env: { CAPGATE_MAX_BODY_BYTES: "lots" } });
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.startsWith("config_error: ") && !l.includes("\n"))).toBe(true);
    const text = lines.join("\n");
    expect(text).toContain("max_body_bytes: CAPGATE_MAX_BODY_BYTES=\"lots\" is not a valid int");
    expect(text).toContain("port: must be at most 65535");
    expect(text).toContain("totp.lockout_threshold: must be at most 100");
    expect(text).toContain("totp: unknown setting(s) colour");
    expect(text).toContain("jwt.algorithms: `none` is never allowed");
    expect(text).toContain('jwt.algorithms: unknown algorithm "XX1"');
  });

  it("refuses a non-loopback bind without the explicit flag and an admin token", () => {
    const lines = errorsOf({ flags: { host: "0.0.0.0" } });
    expect(lines).toEqual([
      expect.stringContaining("host: 0.0.0.0 is not a loopback address"),
      expect.stringContaining("admin_token: required when binding 0.0.0.0"),
    ]);
    expect(errorsOf({ flags: { host: "0.0.0.0", allow_non_loopback: true } })).toEqual([
      expect.stringContaining("admin_token: required"),
    ]);
    const ok = loadConfig({ flags: { host: "0.0.0.0", allow_non_loopback: true, admin_token: "a-long-enough-admin-token" } });
    expect(ok.host).toBe("0.0.0.0");
    expect(loadConfig({ flags: { host: "::1" } }).host).toBe("::1");
  });

  it("accepts the shipped example config", () => {
    const c = loadConfig({ file: join(import.meta.dirname, "..", "..", "sidecar", "capgate.example.yaml") });
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8181, totp: { window: 1 }, replica: "/var/lib/capgate/replica.db" });
  });

  it("checks the TOTP encryption key's length and a readable file", () => {
    expect(errorsOf({ env: { CAPGATE_TOTP_ENCRYPTION_KEY: "c2hvcnQ" } })[0]).toContain("totp.encryption_key: must be base64url of exactly 32 bytes");
    expect(errorsOf({ file: join(tmp.dir, "absent.yaml") })[0]).toMatch(/absent\.yaml: cannot read config file \(ENOENT\)/);
    const list = join(tmp.dir, "list.yaml");
    writeFileSync(list, "- a\n- b\n");
    expect(errorsOf({ file: list })[0]).toContain("the config must be a mapping");
  });

  it("accepts TOTP secrets down to 80 bits only when asked, and never shorter", () => {
    expect(loadConfig({}).totp.min_secret_bytes).toBe(16);
    expect(loadConfig({ env: { CAPGATE_TOTP_MIN_SECRET_BYTES: "10" } }).totp.min_secret_bytes).toBe(10);
    expect(errorsOf({ env: { CAPGATE_TOTP_MIN_SECRET_BYTES: "8" } })[0]).toContain(
      "totp.min_secret_bytes: must be at least 10 (80 bits, the shortest secret authenticator apps have used)",
    );
  });
});
