// `capgate serve --check`: what `serve` would load, loaded and checked without
// serving, as `nginx -t` does, so a deployment can refuse a bad config, bundle
// or replica before it replaces a running sidecar. One finding per part; a
// problem fails the check, a warning names a feature that will be off.
import pg from "pg";
import { isCapgateError } from "../errors.js";
import { applicationName, redactUrl } from "../primary/index.js";
import { loadAssertionSigner } from "../totp/index.js";
import type { ServerConfig } from "./config.js";
import { bundleLoader, configuredVerifier, Engine, entrypointNames, isSignedBundle } from "../policy/runtime/index.js";
import { DECISIONS, createJwtVerifier, readJwks, openReplicaFacts } from "./decide/index.js";

export interface Finding {
  level: "ok" | "warning" | "problem";
  /** What was checked: "bundle", "replica", "jwt", "assertion", "totp", "primary". */
  part: string;
  message: string;
}

const PRIMARY_TIMEOUT_MS = 5000;

export async function preflight(config: ServerConfig, clock: () => number = Date.now): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (level: Finding["level"], part: string, message: string): void => void findings.push({ level, part, message });
  const reason = (e: unknown): string => (isCapgateError(e) ? e.format() : (e as Error).message);

  if (config.bundle === undefined && config.bundle_service !== undefined)
    add("ok", "bundle", `from the bundle service ${config.bundle_service.url} (${config.bundle_service.resource}), downloaded when serving`);
  else if (config.bundle === undefined) add("problem", "bundle", "not configured: every decision would be denied (policy_not_loaded)");
  else {
    try {
      const verifier = configuredVerifier(config.bundle_verification);
      const decisions = DECISIONS.map((d) => d.entrypoint);
      const b = await new Engine(bundleLoader(verifier), decisions, clock, [config.authzen.entrypoint]).load(config.bundle);
      const signature = verifier === null ? "" : `; signature verified (key id ${verifier.keyId})`;
      add("ok", "bundle", `${config.bundle}: revision ${b.revision}, entrypoints ${entrypointNames(b).join(", ")}${signature}`);
      if (verifier === null && (await isSignedBundle(config.bundle)))
        add("warning", "bundle", `${config.bundle} is signed, but no bundle_verification.key_file is set: its signature is not checked`);
    } catch (e) {
      add("problem", "bundle", reason(e));
    }
  }

  if (config.replica === undefined) add("problem", "replica", "not configured: every decision would be denied (replica_missing)");
  else {
    try {
      const facts = openReplicaFacts(config.replica, config.max_staleness_seconds, clock);
      let s;
      try {
        s = facts.state();
      } finally {
        facts.close();
      }
      const age = `age ${s.age_seconds === null ? "unknown" : Math.round(s.age_seconds)} s, at most ${config.max_staleness_seconds} s allowed`;
      if (s.status === "current") add("ok", "replica", `${config.replica}: version ${s.version}, ${age}`);
      else add("problem", "replica", `${config.replica}: ${s.status} (${age}): decisions would be denied (replica_${s.status})`);
    } catch (e) {
      add("problem", "replica", `${config.replica}: ${reason(e)}`);
    }
  }

  if (config.jwt.jwks_file === undefined) add("warning", "jwt", "no jwt.jwks_file: token.validate denies every token");
  else {
    try {
      const jwks = readJwks(config.jwt.jwks_file);
      createJwtVerifier(jwks, config.jwt.algorithms);
      add("ok", "jwt", `${config.jwt.jwks_file}: ${jwks.keys.length} key(s); algorithms ${config.jwt.algorithms.join(", ")}`);
    } catch (e) {
      add("problem", "jwt", reason(e));
    }
  }

  if (config.assertion.signing_key_file === undefined) add("warning", "assertion", "no assertion.signing_key_file: TOTP verification is not configured");
  else {
    try {
      await loadAssertionSigner(config.assertion.signing_key_file, config.assertion.issuer, config.assertion.ttl_seconds);
      add("ok", "assertion", `${config.assertion.signing_key_file}: signing key loaded`);
    } catch (e) {
      add("problem", "assertion", reason(e));
    }
  }

  if (config.totp.encryption_key === undefined) add("warning", "totp", "no totp.encryption_key: TOTP verification is not configured");

  if (config.database_url === undefined) add("warning", "primary", "no database_url: TOTP verification is not configured");
  else {
    const client = new pg.Client({ connectionString: config.database_url, application_name: applicationName(), connectionTimeoutMillis: PRIMARY_TIMEOUT_MS });
    try {
      await client.connect();
      await client.query("SELECT 1");
      add("ok", "primary", `${redactUrl(config.database_url)}: reachable`);
    } catch (e) {
      add("problem", "primary", `${redactUrl(config.database_url)}: ${(e as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return findings;
}
