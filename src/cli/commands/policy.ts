// `capgate policy build|eval|test|check`: the Rego toolchain on the command
// line. Results go to stdout, diagnostics to stderr, and failures set a
// non-zero exit code, as `opa` does.
import { writeFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { CapgateError } from "../../errors.js";
import { signBundle } from "../../policy/bundle.js";
import { toJsonTextPretty } from "../../policy/host-builtins/types.js";
import { loadBundleSigner } from "../../policy/signing/index.js";
import { collectData, readDataDocument, readDocument, readSources } from "../../policy/tools/sources.js";

// The compiler and the policy runtime load on first use; only policy commands pay for them.
const tools = (): Promise<typeof import("../../policy/tools/index.js")> => import("../../policy/tools/index.js");

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerPolicyCommands(program: Command): void {
  const policy = program.command("policy").description("build, evaluate, test and check Rego policies");

  policy
    .command("build")
    .description("compile Rego to Wasm and write an OPA bundle (.tar.gz, `opa build -t wasm` layout)")
    .argument("<paths...>", "Rego files or directories")
    .requiredOption("-o, --output <file>", "bundle file to write")
    .option("-e, --entrypoint <path>", "entrypoint (repeatable); default: rules annotated `entrypoint: true`", collect, [])
    .option("--v0", "parse Rego v0 syntax", false)
    .option("--data <file>", "JSON or YAML data document to include as /data.json")
    .option("--revision <rev>", "revision recorded in the manifest")
    .option("--signing-key <file>", "sign the bundle (OPA's /.signatures.json): PEM private key, or a file holding an HMAC secret")
    .option("--signing-alg <alg>", "signature algorithm: RS256 (default), RS384, RS512, PS256..512, ES256..512, EdDSA, HS256..512")
    .option("--claims-file <file>", "JSON object of extra claims for the signature (iss, scope, keyid, ...)")
    .option("--strict-builtin-errors", "a failing built-in is an evaluation error, not undefined (OPA's strict-builtin-errors)", false)
    .action(async (paths: string[], o: { output: string; entrypoint: string[]; v0: boolean; data?: string; revision?: string; signingKey?: string; signingAlg?: string; claimsFile?: string; strictBuiltinErrors: boolean }) => {
      if (o.signingKey === undefined && (o.signingAlg !== undefined || o.claimsFile !== undefined))
        throw new CapgateError("invalid_input", "--signing-alg and --claims-file need --signing-key");
      // The key is read before compiling, so a bad key fails in a moment, not after the build.
      const signer = o.signingKey === undefined ? null : loadBundleSigner({ keyFile: o.signingKey, alg: o.signingAlg, claimsFile: o.claimsFile });
      // Data files in the directories go into the bundle beside --data, as `opa build` puts them.
      const data = collectData(paths, o.data ? readDataDocument(o.data) : undefined);
      const r = await (await tools()).buildBundle({
        sources: readSources(paths),
        ...(o.entrypoint.length ? { entrypoints: o.entrypoint } : {}),
        regoVersion: o.v0 ? 0 : 1,
        ...(data !== undefined ? { data } : {}),
        ...(o.revision !== undefined ? { revision: o.revision } : {}),
        strictBuiltinErrors: o.strictBuiltinErrors,
      });
      const bytes = signer === null ? r.bundle : await signBundle(r.bundle, signer);
      try {
        writeFileSync(o.output, bytes);
      } catch (e) {
        throw new CapgateError("invalid_input", `cannot write ${o.output}: ${(e as Error).message.split("\n")[0]}`);
      }
      process.stderr.write(`wrote ${o.output}: entrypoints ${r.entrypoints.join(", ")}${signer === null ? "" : `; signed ${signer.alg}, key id ${signer.keyId}`}\n`);
    });

  policy
    .command("publish")
    .description("put a bundle in the fleet's NATS object store; sidecars with bundle_source: nats load it")
    .argument("<bundle>", "bundle file (.tar.gz, what `capgate policy build` writes)")
    .requiredOption("--nats <url>", "NATS server(s), e.g. nats://127.0.0.1:4222")
    .option("--stream <name>", "the fleet's stream (the relay's --stream)", "CAPGATE")
    .action(async (file: string, o: { nats: string; stream: string }) => {
      const { connectNats, fleetNames, publishBundle } = await import("../../fleet/index.js");
      const names = fleetNames(o.stream);
      const nc = await connectNats(o.nats, { name: "capgate policy publish" });
      try {
        const r = await publishBundle(nc, names, file);
        process.stdout.write(`published ${file} to ${r.bucket}: revision ${r.revision || "(none)"}, ${r.bytes} bytes, sha256 ${r.sha256}, ${r.signed ? "signed" : "unsigned"}\n`);
      } finally {
        await nc.close();
      }
    });

  policy
    .command("eval")
    .description("compile a query with the policies to Wasm, evaluate it and print the result set as JSON")
    .argument("[paths...]", "Rego files or directories", [])
    .requiredOption("-q, --query <query>", "the Rego query, e.g. data.capgate.token.issue")
    .option("--v0", "parse Rego v0 syntax", false)
    .option("--data <file>", "JSON or YAML data document")
    .option("--input <file>", "JSON or YAML input document")
    .option("--strict-builtin-errors", "a failing built-in is an evaluation error, not undefined (OPA's strict-builtin-errors)", false)
    .action(async (paths: string[], o: { query: string; v0: boolean; data?: string; input?: string; strictBuiltinErrors: boolean }) => {
      const r = await (await tools()).evalQuery({
        sources: readSources(paths),
        query: o.query,
        regoVersion: o.v0 ? 0 : 1,
        ...(o.data ? { data: readDataDocument(o.data) } : {}),
        ...(o.input ? { input: readDocument(o.input, "input file") } : {}),
        strictBuiltinErrors: o.strictBuiltinErrors,
      });
      for (const line of r.prints) process.stderr.write(line + "\n");
      // Big integers arrive as bigints and print with every digit.
      process.stdout.write(toJsonTextPretty(r.resultSet) + "\n");
    });

  policy
    .command("test")
    .description("run the test_* rules of the modules through the compiled module (exit 2 when a test fails, as opa test)")
    .argument("[paths...]", "directories or files (default: the current directory)", ["."])
    .option("--v0", "parse Rego v0 syntax", false)
    .option("--data <file>", "JSON or YAML data document")
    .option("-r, --run <regex>", "run only the tests whose name (data.pkg.test_x) the regular expression matches")
    .option("--strict-builtin-errors", "a failing built-in is an evaluation error, not undefined (OPA's strict-builtin-errors)", false)
    .option("--coverage", "print line coverage as opa test --coverage does (JSON: per file covered and not covered lines)", false)
    .addOption(new Option("--format <format>", "pretty: a line per test and a summary; json: an array of results").choices(["pretty", "json"]).default("pretty"))
    .action(async (paths: string[], o: { v0: boolean; data?: string; run?: string; format: "pretty" | "json"; strictBuiltinErrors: boolean; coverage: boolean }) => {
      const t = await tools();
      const opts = {
        sources: readSources(paths),
        regoVersion: o.v0 ? (0 as const) : (1 as const),
        strictBuiltinErrors: o.strictBuiltinErrors,
        ...(o.data ? { data: readDataDocument(o.data) } : {}),
        ...(o.run !== undefined ? { run: testFilter(o.run) } : {}),
      };
      const withCoverage = o.coverage ? await t.runTestsWithCoverage(opts) : undefined;
      const results = withCoverage?.results ?? (await t.runTests(opts));
      const pass = results.filter((t) => t.status === "PASS").length;
      // As opa test: 2 when a test fails or errs (1 is left to errors that stop the run).
      if (pass !== results.length) process.exitCode = 2;
      if (withCoverage) {
        process.stdout.write(JSON.stringify(withCoverage.coverage, null, 2) + "\n");
        return;
      }
      if (o.format === "json") {
        process.stdout.write(JSON.stringify(results.map(t.opaTestJson), null, 2) + "\n");
        return;
      }
      let file = "";
      for (const t of results) {
        if (t.file !== file) {
          file = t.file;
          process.stdout.write(`${file}:\n`);
        }
        process.stdout.write(`${t.name}: ${t.status}${t.detail && t.status !== "PASS" ? ` (${t.detail})` : ""}\n`);
        for (const p of t.prints) process.stdout.write(`  ${p}\n`);
      }
      const n = results.length;
      const fail = results.filter((t) => t.status === "FAIL").length;
      const err = results.filter((t) => t.status === "ERROR").length;
      process.stdout.write("-".repeat(80) + "\n");
      if (n === 0) {
        process.stdout.write(`no tests found (test_* rules${o.run !== undefined ? ` matching ${o.run}` : ""})\n`);
        return;
      }
      if (pass > 0) process.stdout.write(`PASS: ${pass}/${n}\n`);
      if (fail > 0) process.stdout.write(`FAIL: ${fail}/${n}\n`);
      if (err > 0) process.stdout.write(`ERROR: ${err}/${n}\n`);
    });

  policy
    .command("capabilities")
    .description("print capgate's capabilities (built-ins, keywords, features) in OPA's JSON format, for opa check --capabilities and Regal")
    .action(async () => {
      const { capgateCapabilities } = await import("../../policy/tools/capabilities.js");
      process.stdout.write(JSON.stringify(capgateCapabilities(), null, 2) + "\n");
    });

  policy
    .command("check")
    .description("parse and compile only; report every error as file:row:col: code: message")
    .argument("<paths...>", "Rego files or directories")
    .option("--v0", "parse Rego v0 syntax", false)
    .addOption(
      new Option("--format <format>", 'pretty: a line per error on stderr; json: {"errors": [{code, message, location}]} on stdout, for editors and CI')
        .choices(["pretty", "json"])
        .default("pretty"),
    )
    .action(async (paths: string[], o: { v0: boolean; format: "pretty" | "json" }) => {
      const errors = (await tools()).checkPolicies({ sources: readSources(paths), regoVersion: o.v0 ? 0 : 1 });
      if (errors.length > 0) process.exitCode = 1;
      if (o.format === "json") process.stdout.write(JSON.stringify({ errors: errors.map((e) => e.toJSON()) }, null, 2) + "\n");
      else for (const e of errors) process.stderr.write(e.format() + "\n");
    });
}

/** --run's pattern as a RegExp; one line naming the flag when it does not compile. */
function testFilter(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new CapgateError("invalid_input", `--run: not a regular expression: ${(e as Error).message}`);
  }
}
