// Calendar arithmetic on nanosecond timestamps (UTC; the zone "" and "UTC" are
// accepted in the [ns, zone] form, other zones need a zone database and fail).
// time.now_ns and the time.parse_* / time.format family are host built-ins.
//   time.add_date 4 | time.date 1 | time.clock 1 | time.weekday 1 | time.diff 2
import { T_NUMBER, T_ARRAY, T_STRING, arrLen, arrAt, strLen, capgate_array, capgate_number_int, stringAscii } from "../value";
import { capgate_array_append } from "../collections";
import { numberAsInt, lastInt, numberToF64 } from "../numbers";
import { typeErr, builtinErr, isType } from "./common";

const NS_PER_DAY: i64 = 86400000000000;
// i64 nanoseconds reach about 292 years either side of 1970.
const MAX_DAYS: i64 = 106751;

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
/** Accept ns or [ns, zone]; the timestamp lands in tsNs. Returns false after recording an error. */
function timestamp(name: string, v: usize): bool {
  let n = v;
  if (isType(v, T_ARRAY)) {
    if (arrLen(v) < 1 || arrLen(v) > 2) { typeErr(name, 1, "a number or array[number, string]", v); return false; }
    n = arrAt(v, 0);
    if (arrLen(v) == 2) {
      let z = arrAt(v, 1);
      if (!isType(z, T_STRING)) { typeErr(name, 1, "a number or array[number, string]", v); return false; }
      if (!isUtc(z)) { builtinErr(name, "unknown time zone (only UTC is supported in Wasm)"); return false; }
    }
  }
  if (!isType(n, T_NUMBER)) { typeErr(name, 1, "a number or array[number, string]", v); return false; }
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

function triple(a: i64, b: i64, c: i64): usize {
  let r = capgate_array(3);
  capgate_array_append(r, capgate_number_int(a));
  capgate_array_append(r, capgate_number_int(b));
  capgate_array_append(r, capgate_number_int(c));
  return r;
}

export function capgate_bi_time_date(v: usize): usize {
  if (!timestamp("time.date", v)) return 0;
  civilFromDays(floorDiv(tsNs, NS_PER_DAY));
  return triple(cy, cm, cd);
}

export function capgate_bi_time_clock(v: usize): usize {
  if (!timestamp("time.clock", v)) return 0;
  let tod = tsNs - floorDiv(tsNs, NS_PER_DAY) * NS_PER_DAY;
  let s = tod / 1000000000;
  return triple(s / 3600, (s / 60) % 60, s % 60);
}

export function capgate_bi_time_weekday(v: usize): usize {
  if (!timestamp("time.weekday", v)) return 0;
  let d = floorDiv(tsNs, NS_PER_DAY);
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

export function capgate_bi_time_add_date(t: usize, years: usize, months: usize, days: usize): usize {
  if (!timestamp("time.add_date", t)) return 0;
  if (!intArg("time.add_date", 2, years)) return 0;
  let y = lastInt();
  if (!intArg("time.add_date", 3, months)) return 0;
  let mo = lastInt();
  if (!intArg("time.add_date", 4, days)) return 0;
  let dd = lastInt();
  // Anything beyond a few hundred thousand years cannot be a valid i64 timestamp.
  if (y > 1000000 || y < -1000000 || mo > 12000000 || mo < -12000000 || dd > 400000000 || dd < -400000000) return 0;
  let day0 = floorDiv(tsNs, NS_PER_DAY);
  let tod = tsNs - day0 * NS_PER_DAY;
  civilFromDays(day0);
  // Go's AddDate: add fields, then normalise (Oct 31 + 1 month = Dec 1).
  let m0 = cm - 1 + mo;
  let year = cy + y + floorDiv(m0, 12);
  let month = m0 - floorDiv(m0, 12) * 12 + 1;
  let nd = daysFromCivil(year, month, 1) + (cd - 1) + dd;
  if (nd > MAX_DAYS || nd < -MAX_DAYS - 1) return 0;
  let r = nd * NS_PER_DAY;
  let out = r + tod;
  if ((r >= 0) == (tod >= 0) && (out >= 0) != (r >= 0)) return 0; // overflow
  return capgate_number_int(out);
}

export function capgate_bi_time_diff(a: usize, b: usize): usize {
  if (!timestamp("time.diff", a)) return 0;
  let t1 = tsNs;
  if (!timestamp("time.diff", b)) return 0;
  let t2 = tsNs;
  if (t1 > t2) { let t = t1; t1 = t2; t2 = t; }
  let d1 = floorDiv(t1, NS_PER_DAY), d2 = floorDiv(t2, NS_PER_DAY);
  let s1 = (t1 - d1 * NS_PER_DAY) / 1000000000, s2 = (t2 - d2 * NS_PER_DAY) / 1000000000;
  civilFromDays(d1);
  let y1 = cy, m1 = cm, dd1 = cd;
  civilFromDays(d2);
  let year = cy - y1, month = cm - m1, day = cd - dd1;
  let hour = s2 / 3600 - s1 / 3600;
  let min = (s2 / 60) % 60 - (s1 / 60) % 60;
  let sec = s2 % 60 - s1 % 60;
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
