// The bundle manifest (`/.manifest`) in the shape `opa build -t wasm` writes,
// and its validation: a reader rejects a manifest it cannot trust rather than
// guessing, so a broken bundle never replaces a working one.
import { z } from "zod";
import { CapgateError } from "../errors.js";
import { safeParseWorded } from "../zod-wording.js";

const wasmEntry = z.object({ entrypoint: z.string().min(1), module: z.string().min(1) }).loose();

const manifestSchema = z
  .object({
    revision: z.string().optional(),
    roots: z.array(z.string()).optional(),
    wasm: z.array(wasmEntry).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    rego_version: z.number().int().optional(),
  })
  .loose();

export interface BundleManifest {
  revision: string;
  roots: string[];
  wasm: Array<{ entrypoint: string; module: string }>;
  metadata?: Record<string, unknown>;
  rego_version?: number;
  [extra: string]: unknown;
}

/**
 * `metadata.strict_builtin_errors: true` asks the loader for OPA's strict
 * built-in errors (a failing built-in is an evaluation error, so the sidecar
 * denies with it) whatever the module was built with.
 */
export const STRICT_BUILTIN_ERRORS_KEY = "strict_builtin_errors";

export function defaultManifest(entrypoints: string[], revision = ""): BundleManifest {
  return { revision, roots: [""], wasm: entrypoints.map((entrypoint) => ({ entrypoint, module: "/policy.wasm" })) };
}

/** Parses and checks `.manifest` text; throws one-line `bundle_error`s. */
export function parseManifest(text: string, file = ".manifest"): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CapgateError("bundle_error", `${file} is not valid JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  const r = safeParseWorded(manifestSchema, raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    throw new CapgateError("bundle_error", `${file}: ${where}: ${issue.message}`);
  }
  const m = r.data;
  return { ...m, revision: m.revision ?? "", roots: m.roots ?? [""], wasm: m.wasm ?? [] } as BundleManifest;
}
