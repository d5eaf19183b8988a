// The layer rules hold: ESLint's Node API with the project's own eslint.config.js
// lints short files given in memory at paths inside the layers they would break,
// and must name the broken rule. A lint rule sees one import at a time, so the
// sidecar's whole import closure (through src/policy, src/fleet, ...) is walked
// here too: the compiler files it reaches are exactly today's allow-listed ones.
import { describe, expect, it } from "vitest";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";
import ts from "typescript";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, posix } from "node:path";

const root = join(import.meta.dirname, "..", "..");

// The type-aware rules build the whole program; these cases are about imports only.
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked as Linter.Config });

type Form = "static" | "type" | "dynamic";

interface Case {
  /** Where the in-memory file claims to live (repository path). */
  file: string;
  /** The module it imports, as written in source. */
  imports: string;
  form?: Form;
  /** A piece of the expected error message; absent when the import is allowed. */
  fails?: string;
}

const CASES: Record<string, Case> = {
  "the sidecar imports the compiler's front file": {
    file: "src/server/lint-probe.ts",
    imports: "../compiler/index.js",
    fails: "The sidecar never imports the compiler",
  },
  "the sidecar imports a compiler type": {
    file: "src/server/lint-probe.ts",
    imports: "../compiler/index.js",
    form: "type",
    fails: "The sidecar never imports the compiler",
  },
  "the sidecar imports the migration runner": {
    file: "src/server/lint-probe.ts",
    imports: "../migrate/index.js",
    fails: "The sidecar never imports the migration runner",
  },
  "the sidecar imports the admin API": {
    file: "src/server/lint-probe.ts",
    imports: "../admin/index.js",
    fails: "The sidecar takes nothing from the admin API",
  },
  "the policy tools reach into the compiler": {
    file: "src/policy/tools/lint-probe.ts",
    imports: "../../compiler/wasm/link-runtime.js",
    fails: "import only its front file src/compiler/index.ts",
  },
  "the policy runtime imports the compiler's front file": {
    file: "src/policy/runtime/lint-probe.ts",
    imports: "../../compiler/index.js",
    fails: "The policy runtime never imports the compiler",
  },
  "a host built-in imports the compiler": {
    file: "src/policy/host-builtins/lint-probe.ts",
    imports: "../../compiler/index.js",
    fails: "The policy runtime never imports the compiler",
  },
  "the policy runtime imports the Wasm ABI": {
    file: "src/policy/runtime/lint-probe.ts",
    imports: "../../wasm-abi/index.js",
  },
  "the sidecar imports the policy runtime's front file": {
    file: "src/server/lint-probe.ts",
    imports: "../policy/runtime/index.js",
  },
  "the sidecar reaches into the policy runtime": {
    file: "src/server/lint-probe.ts",
    imports: "../policy/runtime/engine.js",
    fails: "The sidecar imports only the policy runtime's front file",
  },
  "the sidecar imports the policy tools": {
    file: "src/server/lint-probe.ts",
    imports: "../policy/tools/index.js",
    fails: "The sidecar imports only the policy runtime's front file",
  },
  "the Wasm ABI imports the compiler": {
    file: "src/wasm-abi/lint-probe.ts",
    imports: "../compiler/index.js",
    fails: "The Wasm ABI (src/wasm-abi) is neutral ground",
  },
  "the Wasm ABI imports the policy runtime": {
    file: "src/wasm-abi/lint-probe.ts",
    imports: "../policy/runtime/index.js",
    fails: "The Wasm ABI (src/wasm-abi) is neutral ground",
  },
  "an allow-listed file reaches further than its entry": {
    file: "src/policy/tools/index.ts",
    imports: "../../compiler/wasm/index.js",
    fails: "import only its front file src/compiler/index.ts",
  },
  "the policy tools reach past the compiler's front file (the last allow-listed crossing, gone)": {
    file: "src/policy/tools/index.ts",
    imports: "../../compiler/parser/index.js",
    fails: "import only its front file src/compiler/index.ts",
  },
  "the policy tools import the compiler's front file": {
    file: "src/policy/tools/lint-probe.ts",
    imports: "../../compiler/index.js",
  },
  "the admin API imports the sidecar's decisions": {
    file: "src/admin/lint-probe.ts",
    imports: "../server/decide/index.js",
    fails: "The admin API takes nothing from the sidecar's decision code",
  },
  "the admin API imports the shared HTTP error shape": {
    file: "src/admin/lint-probe.ts",
    imports: "../server/http/http-error.js",
  },
  "TOTP imports the sidecar's decision code": {
    file: "src/totp/lint-probe.ts",
    imports: "../server/decide/index.js",
    fails: "TOTP takes from the sidecar only the shared HTTP error shape",
  },
  "TOTP imports the shared HTTP error shape": {
    file: "src/totp/lint-probe.ts",
    imports: "../server/http/http-error.js",
  },
  "the sidecar imports the TOTP jobs": {
    file: "src/server/lint-probe.ts",
    imports: "../totp/jobs/index.js",
    fails: "The sidecar never imports the TOTP jobs",
  },
  "TOTP verification reads the migration state": {
    file: "src/totp/lint-probe.ts",
    imports: "../migrate/state.js",
    fails: "Only the TOTP jobs (src/totp/jobs) read src/migrate",
  },
  "a TOTP job reads the migration state": {
    file: "src/totp/jobs/lint-probe.ts",
    imports: "../../migrate/state.js",
  },
  "the replica's staleness imports its opener, which imports it (a cycle)": {
    file: "src/replica/status.ts",
    imports: "./open.js",
    fails: "Dependency cycle detected",
  },
  "the replica imports the sidecar": {
    file: "src/replica/lint-probe.ts",
    imports: "../server/decide/index.js",
    fails: "The replica never imports the sidecar",
  },
  "the relay imports the compiler": {
    file: "src/relay/lint-probe.ts",
    imports: "../compiler/index.js",
    fails: "The relay and the fleet never import the compiler",
  },
  "the fleet loads the compiler lazily": {
    file: "src/fleet/lint-probe.ts",
    imports: "../compiler/index.js",
    form: "dynamic",
    fails: "The relay and the fleet never import the compiler",
  },
  "an import that resolves to nothing (it would slip past every boundary)": {
    file: "src/server/lint-probe.ts",
    imports: "./no-such-module.js",
    fails: "Unable to resolve path to module './no-such-module.js'",
  },
  "a parser test imports the parser": {
    file: "test/parser/lint-probe.test.ts",
    imports: "../../src/compiler/parser/index.js",
  },
};

function sourceImporting(spec: string, form: Form): string {
  switch (form) {
    case "static":
      return `import * as m from "${spec}";\nexport const probe = m;\n`;
    case "type":
      return `import type * as m from "${spec}";\nexport type Probe = typeof m;\n`;
    case "dynamic":
      return `export const probe = (): Promise<unknown> => import("${spec}");\n`;
  }
}

describe("eslint.config.js layer rules", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${c.fails === undefined ? "allows" : "refuses"}: ${name}`, async () => {
      const [result] = await eslint.lintText(sourceImporting(c.imports, c.form ?? "static"), {
        filePath: join(root, c.file),
      });
      const messages = (result?.messages ?? []).map((m) => `${m.ruleId ?? "parse"}: ${m.message}`);
      if (c.fails === undefined) {
        expect(messages).toEqual([]);
      } else {
        expect(messages.some((m) => m.includes(c.fails ?? ""))).toBe(true);
      }
    });
  }
});

/** The repository path a relative import in `from` names, as tsc resolves `./x.js` to `./x.ts`. */
function resolveImport(from: string, spec: string): string {
  const base = posix.join(posix.dirname(from), spec);
  const found = [base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"), base].find((p) =>
    existsSync(join(root, p)),
  );
  if (found === undefined) throw new Error(`${from}: cannot resolve ${spec}`);
  return found;
}

/** Relative imports of one file: static, type-only, dynamic and re-exports alike. */
function importsOf(file: string): string[] {
  if (!/\.tsx?$/.test(file)) return [];
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
  return importedFiles.filter((f) => f.fileName.startsWith(".")).map((f) => resolveImport(file, f.fileName));
}

/** Every file reached from the TypeScript files under `dir`, those included. */
function closureOf(dir: string): Set<string> {
  const start = readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => posix.join(dir, f.split("\\").join("/")));
  const seen = new Set(start);
  const queue = [...start];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const next of importsOf(file)) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

const under = (files: Set<string>, dir: string): string[] => [...files].filter((f) => f.startsWith(`${dir}/`)).sort();

describe("import closures", () => {
  it("the sidecar reaches no compiler file (the Wasm ABI it shares with the compiler is src/wasm-abi)", () => {
    expect(under(closureOf("src/server"), "src/compiler")).toEqual([]);
  });

  it("the sidecar reaches no migration code (the TOTP jobs that do are outside src/totp's front file)", () => {
    expect(under(closureOf("src/server"), "src/migrate")).toEqual([]);
  });

  it("the policy runtime reaches no compiler file", () => {
    expect(under(closureOf("src/policy/runtime"), "src/compiler")).toEqual([]);
  });

  it("the relay and the fleet reach no compiler file", () => {
    expect(under(closureOf("src/relay"), "src/compiler")).toEqual([]);
    expect(under(closureOf("src/fleet"), "src/compiler")).toEqual([]);
  });
});
