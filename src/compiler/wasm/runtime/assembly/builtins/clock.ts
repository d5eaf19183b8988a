// time.now_ns in Wasm. OPA fixes the clock once per query; a host that knows
// this evaluation's reading before it starts (capgate's, src/policy/runtime)
// writes it into capgate_now_ns and sets capgate_now_ns_known, and the built-in
// answers it without leaving Wasm (a host call cost about 0.9 us, most of
// token.validate's evaluation). A host that does not (the plain SDK) leaves the
// flag at 0, and the call goes to the host built-in time.now_ns as before.
//   time.now_ns 0
import { capgate_number_int } from "../value";
import { capgate_host_call0 } from "../host-call";
import { builtinErr } from "./common";

/** The builtins() id of the host's time.now_ns, set by the emitter; -1 when the module does not list it. */
export let capgate_now_ns_builtin: i32 = -1;
/** This evaluation's time.now_ns, valid while capgate_now_ns_known is 1; the host writes both. */
export let capgate_now_ns: i64 = 0;
export let capgate_now_ns_known: i32 = 0;

export function capgate_bi_time_now_ns(): usize {
  if (capgate_now_ns_known != 0) return capgate_number_int(capgate_now_ns);
  if (capgate_now_ns_builtin < 0) return builtinErr("time.now_ns", "the module lists no host built-in time.now_ns");
  return capgate_host_call0(capgate_now_ns_builtin);
}
