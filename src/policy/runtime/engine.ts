// The evaluation seam the sidecar serves through: holds the last good compiled
// policy bundle and evaluates an entrypoint against a policy input. Loading goes
// through loadPolicyBundle (the SDK with capgate's host built-ins, bundle-loader.ts);
// a bundle that fails to load, or lacks an entrypoint the sidecar serves, is
// refused and the previous one keeps serving. With no bundle every evaluation is
// a fail-closed outcome.
import { performance } from "node:perf_hooks";
import { CapgateError, isCapgateError } from "../../errors.js";
import { JsonText } from "./evaluate-text.js";

/** A loaded policy module, as evaluatePolicy drives it. */
export interface EvaluablePolicy {
  /**
   * The entrypoint's result set; `nowNs` is time.now_ns() for this evaluation, and
   * past `deadline` (performance.now() time) it is stopped. Throws on an evaluation error.
   */
  resultSet(input: JsonText | object, entrypoint: string, nowNs: bigint, deadline: number): unknown;
}

/** What loadPolicyBundle(path) resolves to. */
export interface PolicyBundle {
  policy: EvaluablePolicy;
  revision: string;
  entrypoints: readonly string[] | Readonly<Record<string, number>>;
}

export type BundleLoader = (path: string) => Promise<PolicyBundle>;

export type Evaluation =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; reason: "policy_not_loaded" | "policy_undefined" | "policy_result_invalid" | "evaluation_error" | "deadline_exceeded"; error?: string };

export type DocumentEvaluation = { ok: true; document: unknown } | Extract<Evaluation, { ok: false }>;

/** How long the warm-up evaluation of a new bundle may take before the bundle is refused. */
const WARM_UP_DEADLINE_MS = 10_000;

export class Engine {
  private bundle: PolicyBundle | null = null;
  private bundlePath: string | null = null;

  /**
   * `decisions` are the entrypoints of the decisions the sidecar serves: a bundle must have
   * them all. `clock` gives epoch milliseconds: the policy's time.now_ns() is read from it for
   * every evaluation. `standalone` names entrypoints that make a bundle servable without the
   * decisions (the AuthZEN entrypoint): such a bundle may lack all of them, never some.
   */
  constructor(
    private readonly loader: BundleLoader,
    private readonly decisions: readonly string[],
    private readonly clock: () => number = Date.now,
    private readonly standalone: readonly string[] = [],
  ) {}

  /** The entrypoints of the bundle serving now (none without one). */
  get entrypoints(): readonly string[] {
    return this.bundle === null ? [] : entrypointNames(this.bundle);
  }

  get loaded(): boolean {
    return this.bundle !== null;
  }

  get revision(): string | null {
    return this.bundle?.revision ?? null;
  }

  get path(): string | null {
    return this.bundlePath;
  }

  /** Loads and checks a bundle; on any failure throws bundle_error and keeps the current one. */
  async load(path: string): Promise<PolicyBundle> {
    let candidate: PolicyBundle;
    try {
      candidate = await this.loader(path);
    } catch (e) {
      throw new CapgateError("bundle_error", `${path}: refused: ${isCapgateError(e) ? e.format() : (e as Error).message}`, { cause: e });
    }
    const names = entrypointNames(candidate);
    const served = this.decisions.filter((ep) => names.includes(ep));
    const missing = this.decisions.filter((ep) => !names.includes(ep));
    const standalone = served.length === 0 && this.standalone.some((ep) => names.includes(ep));
    if (missing.length > 0 && !standalone) throw new CapgateError("bundle_error", `${path}: refused: missing entrypoint(s) ${missing.join(", ")}`);
    // One evaluation per entrypoint before serving: it compiles the Wasm tiers and
    // sizes the heap now, so the first real decision does not pay for it (and
    // miss its deadline). A module that traps on a minimal input is refused.
    for (const ep of served) {
      try {
        candidate.policy.resultSet({ request: {}, tenant: null, user: null, defaults: {} }, ep, this.nowNs(), performance.now() + WARM_UP_DEADLINE_MS);
      } catch (e) {
        throw new CapgateError("bundle_error", `${path}: refused: evaluating ${ep} failed: ${(e as Error).message}`);
      }
    }
    this.bundle = candidate;
    this.bundlePath = path;
    return candidate;
  }

  /**
   * Evaluates one entrypoint on an input given as JSON text, stopping it past
   * `deadline` (a performance.now() time); never throws, so a caller can always
   * answer (closed).
   */
  decide(entrypoint: string, inputJson: string, deadline: number): Evaluation {
    const evaluation = this.evaluateDocument(entrypoint, inputJson, deadline);
    if (!evaluation.ok) return evaluation;
    const doc = evaluation.document;
    if (typeof doc !== "object" || doc === null || Array.isArray(doc) || typeof (doc as { allow?: unknown }).allow !== "boolean")
      return { ok: false, reason: "policy_result_invalid" };
    return { ok: true, result: doc as Record<string, unknown> };
  }

  /** As decide, but the entrypoint's document of any shape (the AuthZEN routes judge it themselves). */
  evaluateDocument(entrypoint: string, inputJson: string, deadline: number): DocumentEvaluation {
    const bundle = this.bundle;
    if (bundle === null) return { ok: false, reason: "policy_not_loaded" };
    let resultSet: unknown;
    try {
      resultSet = bundle.policy.resultSet(new JsonText(inputJson), entrypoint, this.nowNs(), deadline);
    } catch (e) {
      if (isCapgateError(e) && e.code === "eval_deadline_error") return { ok: false, reason: "deadline_exceeded" };
      return { ok: false, reason: "evaluation_error", error: e instanceof Error ? e.message : String(e) };
    }
    // opa-wasm answers a result set: [] when the document is undefined, else [{result}].
    if (!Array.isArray(resultSet) || resultSet.length === 0) return { ok: false, reason: "policy_undefined" };
    if (resultSet.length !== 1) return { ok: false, reason: "policy_result_invalid" };
    return { ok: true, document: (resultSet[0] as { result?: unknown }).result };
  }

  private nowNs(): bigint {
    return BigInt(Math.floor(this.clock())) * 1_000_000n;
  }
}

/** A bundle's entrypoint names, whether the SDK lists them or maps them to ids. */
export function entrypointNames(bundle: PolicyBundle): readonly string[] {
  return Array.isArray(bundle.entrypoints) ? bundle.entrypoints : Object.keys(bundle.entrypoints);
}
