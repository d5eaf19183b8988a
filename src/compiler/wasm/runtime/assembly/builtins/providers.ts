// Cloud provider built-ins.
//   providers.aws.sign_req 3
// The request keeps every Rego value it holds (sets too): only the signing,
// hashes and HMACs, happens on the host, in the host built-in $capgate.aws_sign
// (src/wasm-abi AWS_SIGN_BUILTIN), which answers the signed headers; this sets them
// on a copy of the request, as OPA does.
import { T_OBJECT, T_NUMBER, T_STRING, stringAscii } from "../value";
import { capgate_object_insert, capgate_value_shallow_copy } from "../collections";
import { typeErr, builtinErr, builtinErrText, isType } from "./common";
import { capgate_host_call3 } from "../host-call";

const NAME = "providers.aws.sign_req";

/** The builtins() id of $capgate.aws_sign, set by the emitter; -1: signing is an error. */
export let capgate_aws_sign_builtin: i32 = -1;


export function capgate_bi_providers_aws_sign_req(req: usize, config: usize, ns: usize): usize {
  if (!isType(req, T_OBJECT)) return typeErr(NAME, 1, "object", req);
  if (!isType(config, T_OBJECT)) return typeErr(NAME, 2, "object", config);
  if (!isType(ns, T_NUMBER)) return typeErr(NAME, 3, "number", ns);
  if (capgate_aws_sign_builtin < 0) return builtinErr(NAME, "signing needs the host built-in $capgate.aws_sign");
  let headers = capgate_host_call3(capgate_aws_sign_builtin, req, config, ns);
  if (isType(headers, T_STRING)) return builtinErrText(NAME, headers);
  if (!isType(headers, T_OBJECT)) return builtinErr(NAME, "the host's signer answered neither headers nor an error");
  let out = capgate_value_shallow_copy(req);
  capgate_object_insert(out, stringAscii("headers"), headers);
  return out;
}
