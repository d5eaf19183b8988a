// print() as a built-in: OPA plans print(a, b) as internal.print([A, B]) with
// each operand the set of values the argument took. No location is known here;
// the emitter may call capgate_print_sets (dump.ts) with the call's location.
//   internal.print 1
import { T_ARRAY, capgate_boolean } from "../value";
import { capgate_print_sets } from "../dump";

export function capgate_bi_internal_print(args: usize): usize {
  if (args == 0 || load<u8>(args) != T_ARRAY) return 0;
  capgate_print_sets(0, 0, 0, args);
  return capgate_boolean(1);
}
