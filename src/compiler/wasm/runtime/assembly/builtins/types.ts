// Type-test built-ins.
//   is_number 1 | is_string 1 | is_boolean 1 | is_array 1 | is_set 1 | is_object 1 | is_null 1 | type_name 1
import { T_NULL, T_BOOLEAN, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, capgate_boolean, stringAscii } from "../value";
import { typeName } from "./common";

// @ts-ignore: decorator
@inline function is(v: usize, t: u8): usize { return capgate_boolean(v != 0 && load<u8>(v) == t ? 1 : 0); }

export function capgate_bi_is_number(v: usize): usize { return is(v, T_NUMBER); }
export function capgate_bi_is_string(v: usize): usize { return is(v, T_STRING); }
export function capgate_bi_is_boolean(v: usize): usize { return is(v, T_BOOLEAN); }
export function capgate_bi_is_array(v: usize): usize { return is(v, T_ARRAY); }
export function capgate_bi_is_set(v: usize): usize { return is(v, T_SET); }
export function capgate_bi_is_object(v: usize): usize { return is(v, T_OBJECT); }
export function capgate_bi_is_null(v: usize): usize { return is(v, T_NULL); }
export function capgate_bi_type_name(v: usize): usize { return v == 0 ? 0 : stringAscii(typeName(v)); }
