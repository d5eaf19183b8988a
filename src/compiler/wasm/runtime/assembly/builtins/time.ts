// Calendar arithmetic on nanosecond timestamps, in UTC or in a named zone, as
// OPA (Go's time package) does it. The arithmetic is exact i64 here; the zone
// database is the host's: for a zone other than "" and "UTC" each built-in asks
// the host built-in $capgate.tz_offset (src/wasm-abi TZ_OFFSET_BUILTIN) for the one or
// two UTC offsets it needs. time.now_ns and the time.parse_* / time.format
// family are host built-ins.
//   time.add_date 4 | time.date 1 | time.clock 1 | time.weekday 1 | time.diff 2
import { T_NUMBER, T_ARRAY, T_STRING, arrLen, arrAt, strLen, capgate_array, capgate_boolean, capgate_number_int, stringAscii } from "../value";
import { capgate_array_append } from "../collections";
import { capgate_value_equal } from "../compare";
import { numberAsInt, lastInt, numberToF64 } from "../numbers";
import { typeErr, builtinErr, builtinErrText, isType } from "./common";
import { capgate_host_call3 } from "../host-call";

const NS_PER_SEC: i64 = 1000000000;
const SEC_PER_DAY: i64 = 86400;
// i64 nanoseconds reach about 292 years either side of 1970.
const MAX_DAYS: i64 = 106751;
const OPERAND = "a number or array[number, string]";

/** The builtins() id of $capgate.tz_offset, set by the emitter; -1: zones other than UTC are an error. */
export let capgate_tz_offset_builtin: i32 = -1;


// @ts-ignore: decorator
@inline function floorDiv(a: i64, b: i64): i64 { let q = a / b; return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q; }

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; day may overflow). */
export function daysFromCivil(y: i64, m: i64, d: i64): i64 {
  if (m <= 2) y -= 1;
  let era = floorDiv(y, 400);
  let yoe = y - era * 400;
  let mp = m > 2 ? m - 3 : m + 9;
  let doy = (153 * mp + 2) / 5 + d - 1;
  let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

let cy: i64 = 0;
let cm: i64 = 0;
let cd: i64 = 0;
/** Civil date of a day count, into cy/cm/cd. */
export function civilFromDays(z: i64): void {
  z += 719468;
  let era = floorDiv(z, 146097);
  let doe = z - era * 146097;
  let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  let mp = (5 * doy + 2) / 153;
  cd = doy - (153 * mp + 2) / 5 + 1;
  cm = mp < 10 ? mp + 3 : mp - 9;
  cy = yoe + era * 400 + (cm <= 2 ? 1 : 0);
}

let tsNs: i64 = 0;
let tsZone: usize = 0;
/**
 * Accept ns or [ns], [ns, zone], [ns, zone, layout] (OPA reads time.format's
 * form everywhere); the timestamp lands in tsNs, the zone in tsZone (0 for UTC).
 * Returns false after recording an error.
 */
function timestamp(name: string, v: usize): bool {
  let n = v;
  tsZone = 0;
  if (isType(v, T_ARRAY)) {
    let len = arrLen(v);
    if (len < 1) { typeErr(name, 1, OPERAND, v); return false; }
    n = arrAt(v, 0);
    if (len >= 2) {
      let z = arrAt(v, 1);
      if (!isType(z, T_STRING)) { typeErr(name, 1, OPERAND, v); return false; }
      if (!isUtc(z)) tsZone = z;
    }
    if (len >= 3 && !isType(arrAt(v, 2), T_STRING)) { typeErr(name, 1, OPERAND, v); return false; }
  }
  if (!isType(n, T_NUMBER)) { typeErr(name, 1, OPERAND, v); return false; }
  if (numberAsInt(n)) tsNs = lastInt();
  else {
    let f = numberToF64(n);
    if (!(f > -9.2e18 && f < 9.2e18)) { builtinErr(name, "timestamp out of range"); return false; }
    tsNs = <i64>f;
  }
  return true;
}

function isUtc(z: usize): bool {
  let n = strLen(z);
  if (n == 0) return true;
  if (n != 3) return false;
  let p = <usize>load<u32>(z, 8);
  return load<u8>(p) == 85 && load<u8>(p + 1) == 84 && load<u8>(p + 2) == 67;
}

let tzOff: i64 = 0;
/**
 * The offset (seconds east of UTC) of `zone` (0: UTC) at `sec`, an instant or,
 * with `local`, a wall-clock time resolved as Go's time.Date resolves it; into
 * tzOff. An unknown zone records the host's message as the error.
 */
function zoneOffset(name: string, zone: usize, sec: i64, local: bool): bool {
  tzOff = 0;
  if (zone == 0) return true;
  if (capgate_tz_offset_builtin < 0) { builtinErr(name, "time zones other than UTC need the host built-in $capgate.tz_offset"); return false; }
  let r = capgate_host_call3(capgate_tz_offset_builtin, zone, capgate_number_int(sec), capgate_boolean(local ? 1 : 0));
  if (isType(r, T_NUMBER) && numberAsInt(r)) { tzOff = lastInt(); return true; }
  if (isType(r, T_STRING)) { builtinErrText(name, r); return false; }
  builtinErr(name, "the host's time zone lookup answered neither an offset nor an error");
  return false;
}

let lSec: i64 = 0;
let lNs: i64 = 0;
/** The wall-clock time of operand `v` in its zone: seconds since 1970-01-01T00:00 there into lSec, the nanoseconds of the second into lNs. */
function localTime(name: string, v: usize): bool {
  if (!timestamp(name, v)) return false;
  let s = floorDiv(tsNs, NS_PER_SEC);
  if (!zoneOffset(name, tsZone, s, false)) return false;
  lSec = s + tzOff;
  lNs = tsNs - s * NS_PER_SEC;
  return true;
}

function triple(a: i64, b: i64, c: i64): usize {
  let r = capgate_array(3);
  capgate_array_append(r, capgate_number_int(a));
  capgate_array_append(r, capgate_number_int(b));
  capgate_array_append(r, capgate_number_int(c));
  return r;
}

export function capgate_bi_time_date(v: usize): usize {
  if (!localTime("time.date", v)) return 0;
  civilFromDays(floorDiv(lSec, SEC_PER_DAY));
  return triple(cy, cm, cd);
}

export function capgate_bi_time_clock(v: usize): usize {
  if (!localTime("time.clock", v)) return 0;
  let s = lSec - floorDiv(lSec, SEC_PER_DAY) * SEC_PER_DAY;
  return triple(s / 3600, (s / 60) % 60, s % 60);
}

export function capgate_bi_time_weekday(v: usize): usize {
  if (!localTime("time.weekday", v)) return 0;
  let d = floorDiv(lSec, SEC_PER_DAY);
  let w = (d + 4) % 7; // 1970-01-01 was a Thursday
  if (w < 0) w += 7;
  switch (<i32>w) {
    case 0: return stringAscii("Sunday");
    case 1: return stringAscii("Monday");
    case 2: return stringAscii("Tuesday");
    case 3: return stringAscii("Wednesday");
    case 4: return stringAscii("Thursday");
    case 5: return stringAscii("Friday");
    default: return stringAscii("Saturday");
  }
}

function intArg(name: string, i: u32, v: usize): bool {
  if (!isType(v, T_NUMBER) || !numberAsInt(v)) { typeErr(name, i, "integer", v); return false; }
  return true;
}

/** OPA's error for a time.add_date result outside int64 nanoseconds. */
function outOfRange(): usize { return builtinErr("time.add_date", "time outside of valid range"); }

export function capgate_bi_time_add_date(t: usize, years: usize, months: usize, days: usize): usize {
  if (!localTime("time.add_date", t)) return 0;
  let zone = tsZone, wall = lSec, ns = lNs;
  if (!intArg("time.add_date", 2, years)) return 0;
  let y = lastInt();
  if (!intArg("time.add_date", 3, months)) return 0;
  let mo = lastInt();
  if (!intArg("time.add_date", 4, days)) return 0;
  let dd = lastInt();
  // Anything beyond a few hundred thousand years cannot be a valid i64 timestamp.
  if (y > 1000000 || y < -1000000 || mo > 12000000 || mo < -12000000 || dd > 400000000 || dd < -400000000) return outOfRange();
  let day0 = floorDiv(wall, SEC_PER_DAY);
  let tod = wall - day0 * SEC_PER_DAY;
  civilFromDays(day0);
  // Go's AddDate: add fields, then normalise (Oct 31 + 1 month = Dec 1).
  let m0 = cm - 1 + mo;
  let year = cy + y + floorDiv(m0, 12);
  let month = m0 - floorDiv(m0, 12) * 12 + 1;
  let nd = daysFromCivil(year, month, 1) + (cd - 1) + dd;
  // A zone moves the instant by less than a day either way.
  if (nd > MAX_DAYS + 1 || nd < -MAX_DAYS - 2) return outOfRange();
  wall = nd * SEC_PER_DAY + tod;
  if (!zoneOffset("time.add_date", zone, wall, true)) return 0;
  let sec = wall - tzOff;
  // i64 nanoseconds span -9223372036.854775808 s to 9223372036.854775807 s.
  if (sec > 9223372036 || (sec == 9223372036 && ns > 854775807)) return outOfRange();
  if (sec < -9223372037 || (sec == -9223372037 && ns < 145224192)) return outOfRange();
  return capgate_number_int(sec * NS_PER_SEC + ns);
}

export function capgate_bi_time_diff(a: usize, b: usize): usize {
  if (!localTime("time.diff", a)) return 0;
  let t1 = tsNs, zone = tsZone, l1 = lSec;
  if (!timestamp("time.diff", b)) return 0;
  let t2 = tsNs, s2 = floorDiv(t2, NS_PER_SEC);
  // OPA loads the second operand's zone too (an unknown one is an error), then
  // reads both times in the first one's.
  if (tsZone != 0 && (zone == 0 || capgate_value_equal(tsZone, zone) == 0) && !zoneOffset("time.diff", tsZone, s2, false)) return 0;
  if (!zoneOffset("time.diff", zone, s2, false)) return 0;
  let l2 = s2 + tzOff;
  // Earlier instant first; in an overlap its wall clock may read later.
  if (t1 > t2) { let l = l1; l1 = l2; l2 = l; }
  let d1 = floorDiv(l1, SEC_PER_DAY), d2 = floorDiv(l2, SEC_PER_DAY);
  let s1 = l1 - d1 * SEC_PER_DAY, sd2 = l2 - d2 * SEC_PER_DAY;
  civilFromDays(d1);
  let y1 = cy, m1 = cm, dd1 = cd;
  civilFromDays(d2);
  let year = cy - y1, month = cm - m1, day = cd - dd1;
  let hour = sd2 / 3600 - s1 / 3600;
  let min = (sd2 / 60) % 60 - (s1 / 60) % 60;
  let sec = sd2 % 60 - s1 % 60;
  if (sec < 0) { sec += 60; min--; }
  if (min < 0) { min += 60; hour--; }
  if (hour < 0) { hour += 24; day--; }
  if (day < 0) {
    // days in the first date's month: day 32 of it normalises into the next month
    civilFromDays(daysFromCivil(y1, m1, 32));
    day += 32 - cd;
    month--;
  }
  if (month < 0) { month += 12; year--; }
  let r = capgate_array(6);
  capgate_array_append(r, capgate_number_int(year));
  capgate_array_append(r, capgate_number_int(month));
  capgate_array_append(r, capgate_number_int(day));
  capgate_array_append(r, capgate_number_int(hour));
  capgate_array_append(r, capgate_number_int(min));
  capgate_array_append(r, capgate_number_int(sec));
  return r;
}
