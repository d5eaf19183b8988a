// The sidecar's decisions, the front file the rest of the sidecar imports: the
// decisions it answers and their input shapes (decisions.ts), the decider that
// turns one into a policy evaluation under a deadline (decide.ts), the facts a
// decision reads from the replica (facts.ts, replica-facts.ts, fact-cache.ts),
// and the JWT checks of token.validate (jwt.ts).
export { Decider, withDeadline } from "./decide.js";
export {
  DECISIONS,
  decisionByEntrypoint,
  parseDecisionRequest,
  parseInput,
  type DecisionRequest,
} from "./decisions.js";
export { buildPolicyInput, type FactSource } from "./facts.js";
export { createJwtVerifier, noKeysVerifier, readJwks, type JwtVerifier } from "./jwt.js";
export {
  damagedReplica,
  openReplicaFacts,
  type CorruptionFinder,
  type ReplicaFactsOptions,
} from "./replica-facts.js";
