// Answering AuthZEN evaluations with the policy: each evaluation goes to the
// configured entrypoint as `input`, whose document is a boolean or
// `{decision, context}`. A failure (no policy, a policy error, a malformed
// answer, the deadline) is that evaluation's `decision: false` with
// `context.error`: fail closed, and never an HTTP error. An execute_all batch
// is one module call when the bundle has the batch entrypoint (the rule
// `[d | some r in input.evaluations; d := decision with input as r]`); the
// short-circuiting semantics go one evaluation at a time and stop as the spec
// says, the stopping evaluation's answer included. With `facts: replica`, each
// input also holds `facts: {tenant, user, defaults}` read from the replica for
// the subject (its id, and `properties.tenant_id`), fail-closed while the
// replica is not current.
import { performance } from "node:perf_hooks";
import type { Engine } from "../../policy/runtime/index.js";
import type { FactSource } from "../decide/index.js";
import type { BatchItem, Evaluation, Semantic } from "./request.js";

export interface AuthZenDecision {
  decision: boolean;
  context?: Record<string, unknown>;
}

export interface EvaluatorSettings {
  entrypoint: string;
  batchEntrypoint: string;
  deadlineMs: number;
  /** The replica, when the policy's facts come from it (`authzen.facts: replica`). */
  replica?: (() => FactSource | null) | undefined;
}

/** Why the policy could not answer, as an HTTP-like status in `context.error` (the spec's own example shape). */
const FAILURE_STATUS: Readonly<Record<string, number>> = {
  policy_not_loaded: 503,
  deadline_exceeded: 503,
  evaluation_error: 500,
  policy_result_invalid: 500,
};

export function failed(status: number, message: string): AuthZenDecision {
  return { decision: false, context: { error: { status, message } } };
}

export class AuthZenEvaluator {
  constructor(
    private readonly engine: Engine,
    private readonly settings: EvaluatorSettings,
  ) {}

  decideOne(evaluation: Evaluation): AuthZenDecision {
    const input = this.input(evaluation);
    if (typeof input !== "string") return input;
    const deadline = performance.now() + this.settings.deadlineMs;
    const r = this.engine.evaluateDocument(this.settings.entrypoint, input, deadline);
    if (!r.ok) return fromFailure(r.reason, r.error);
    return fromDocument(r.document);
  }

  /** The answers in request order, cut after the first deny or permit for the short-circuiting semantics. */
  evaluateAll(items: readonly BatchItem[], semantic: Semantic): AuthZenDecision[] {
    if (semantic === "execute_all") return this.batch(items) ?? items.map((item) => this.item(item));
    const stopOn = semantic === "permit_on_first_permit";
    const out: AuthZenDecision[] = [];
    for (const item of items) {
      const answer = this.item(item);
      out.push(answer);
      if (answer.decision === stopOn) break;
    }
    return out;
  }

  /** The policy input as JSON text, or the deny to answer when the facts it needs cannot be read. */
  private input(evaluation: Evaluation): string | AuthZenDecision {
    return this.settings.replica === undefined ? JSON.stringify(evaluation) : withFacts(this.settings.replica, evaluation);
  }

  private item(item: BatchItem): AuthZenDecision {
    return item.ok ? this.decideOne(item.evaluation) : failed(400, item.message);
  }

  /**
   * All valid items in one call of the batch entrypoint, or undefined when the
   * bundle has none or the call failed as a whole (then each item is asked
   * alone, so a failure stays that item's).
   */
  private batch(items: readonly BatchItem[]): AuthZenDecision[] | undefined {
    if (!this.engine.entrypoints.includes(this.settings.batchEntrypoint)) return undefined;
    const valid: string[] = [];
    for (const item of items) {
      if (!item.ok) continue;
      const input = this.input(item.evaluation);
      // A replica problem is every item's: each is then answered alone, with its error.
      if (typeof input !== "string") return undefined;
      valid.push(input);
    }
    const deadline = performance.now() + this.settings.deadlineMs * Math.max(1, valid.length);
    const r = this.engine.evaluateDocument(this.settings.batchEntrypoint, `{"evaluations":[${valid.join(",")}]}`, deadline);
    if (!r.ok || !Array.isArray(r.document) || r.document.length !== valid.length) return undefined;
    const answers = r.document.map(fromDocument);
    let next = 0;
    return items.map((item) => (item.ok ? answers[next++]! : failed(400, item.message)));
  }
}

/** The replica's facts for an evaluation's subject, added to its input; a deny with context.error when they cannot be read. */
function withFacts(replica: () => FactSource | null, evaluation: Evaluation): string | AuthZenDecision {
  const facts = replica();
  let status: string;
  try {
    status = facts?.state().status ?? "missing";
  } catch {
    status = "missing";
  }
  if (facts === null || status !== "current") return failed(503, `replica_${status}`);
  const tenantId = evaluation.subject.properties?.["tenant_id"];
  try {
    const tenant = typeof tenantId === "string" ? facts.tenantJson(tenantId) : null;
    const user = facts.userJson(evaluation.subject.id);
    const text = JSON.stringify(evaluation);
    return `${text.slice(0, -1)},"facts":{"tenant":${tenant ?? "null"},"user":${user ?? "null"},"defaults":${facts.defaultsJson()}}}`;
  } catch {
    return failed(503, facts.state().status === "corrupt" ? "replica_corrupt" : "replica_error");
  }
}

function fromFailure(reason: string, error: string | undefined): AuthZenDecision {
  // An undefined document is the policy granting nothing: a plain deny.
  if (reason === "policy_undefined") return { decision: false };
  return failed(FAILURE_STATUS[reason] ?? 500, error === undefined ? reason : `${reason}: ${error.split("\n")[0]}`);
}

/** The policy's document as an answer: a boolean, or an object with a boolean `decision` and an optional object `context`. */
export function fromDocument(doc: unknown): AuthZenDecision {
  if (typeof doc === "boolean") return { decision: doc };
  if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
    const { decision, context } = doc as { decision?: unknown; context?: unknown };
    if (typeof decision === "boolean") {
      if (typeof context === "object" && context !== null && !Array.isArray(context))
        return { decision, context: context as Record<string, unknown> };
      return { decision };
    }
  }
  return failed(500, "policy_result_invalid: the policy must answer a boolean or {\"decision\": boolean, \"context\"?: object}");
}
