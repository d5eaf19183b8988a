// `capgate policy capabilities`: what capgate's compiler accepts, in the JSON
// shape of OPA's capabilities files (`opa capabilities`), so that
// `opa check --capabilities` and Regal can hold policies to capgate. The
// built-ins come from the compiler's own declarations (builtin-decls: names,
// arities, relations; builtin-types: argument and result kinds), so the list
// cannot drift from what `policy check` accepts.
import { ANY, BUILTIN_TYPES, BUILTINS, KIND, OPERATOR_SYMBOLS, type KindName, type TypeMask, type ValueType } from "../../compiler/index.js";

type OpaType = Record<string, unknown>;

const ANY_TYPE: OpaType = { type: "any" };

/** One kind as OPA names it; collections with what they hold where known. */
function kindType(kind: KindName, elements: TypeMask): OpaType {
  const of = elements === ANY ? ANY_TYPE : maskType(elements, ANY);
  switch (kind) {
    case "array":
      return { type: "array", dynamic: of };
    case "set":
      return { type: "set", of };
    case "object":
      return { type: "object", dynamic: { key: ANY_TYPE, value: ANY_TYPE } };
    default:
      return { type: kind };
  }
}

function maskType(mask: TypeMask, elements: TypeMask): OpaType {
  if (mask === ANY) return ANY_TYPE;
  const kinds = (Object.keys(KIND) as KindName[]).filter((k) => (mask & KIND[k]) !== 0);
  const types = kinds.map((k) => kindType(k, elements));
  return types.length === 1 ? types[0]! : { type: "any", of: types };
}

function valueType(t: ValueType): OpaType {
  return maskType(t.kinds, t.elements);
}

/** OPA's capabilities document for capgate: built-ins, future keywords, Wasm ABI versions, features. */
export function capgateCapabilities(): Record<string, unknown> {
  const builtins: Array<Record<string, unknown>> = [];
  for (const [name, decl] of [...BUILTINS].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (decl.absent) continue;
    const sig = BUILTIN_TYPES.get(name);
    const args = sig ? sig.args.map(valueType) : Array.from({ length: decl.arity }, () => ANY_TYPE);
    const fn: Record<string, unknown> = { type: "function", ...(decl.varargs ? { variadic: ANY_TYPE } : { args }) };
    // Operators and relations have no result in OPA's declarations when they only succeed or fail.
    fn["result"] = sig ? valueType(sig.result) : ANY_TYPE;
    builtins.push({
      name,
      decl: fn,
      ...(OPERATOR_SYMBOLS[name] ? { infix: OPERATOR_SYMBOLS[name] } : {}),
      ...(decl.relation ? { relation: true } : {}),
    });
  }
  return {
    builtins,
    future_keywords: ["contains", "every", "if", "in"],
    wasm_abi_versions: [
      { version: 1, minor_version: 1 },
      { version: 1, minor_version: 2 },
    ],
    features: ["keywords_in_refs", "rego_v1", "rego_v1_import", "rule_head_ref_string_prefixes", "rule_head_refs"],
  };
}
