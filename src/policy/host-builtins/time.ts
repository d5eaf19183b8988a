// time.* built-ins that need a clock, a time-zone database or Go's layout
// strings. Nanosecond arguments arrive from the SDK as JSON numbers (doubles);
// the shortest decimal form of the double is taken as the integer meant, which
// recovers the original digits whenever they had at most 17 significant ones.
import { zoneOffset } from "./time-zone.js";
import { builtinError, str, typeName, type HostBuiltinImpl, type HostContext } from "./types.js";

const NS_PER_MS = 1_000_000n;
const NS_PER_SEC = 1_000_000_000n;
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export function toNs(name: string, v: unknown, what = "operand 1"): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v !== "number" || !Number.isFinite(v)) throw builtinError(name, `${what} must be a number, got ${typeName(v)}`);
  return BigInt(Number.isInteger(v) ? v.toLocaleString("en-US", { useGrouping: false }) : Math.trunc(v).toString());
}

const floorDiv = (a: bigint, b: bigint): bigint => (a % b === 0n || a >= 0n ? a / b : a / b - 1n);

/** Broken-down civil time in a zone (offset in seconds east of UTC). */
interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number;
  yday: number;
  offset: number;
  zone: string;
}

export function civil(name: string, ns: bigint, tz: string): Civil {
  const seconds = floorDiv(ns, NS_PER_SEC);
  const nanos = Number(ns - seconds * NS_PER_SEC);
  const offset = zoneOffset(name, tz, Number(seconds));
  const d = new Date((Number(seconds) + offset) * 1000);
  const y = d.getUTCFullYear();
  const yday = Math.floor((Date.UTC(y, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  return {
    year: y,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos,
    weekday: d.getUTCDay(),
    yday,
    offset,
    zone: tz === "" || tz === "UTC" ? "UTC" : tz,
  };
}

/** `ns`, or `[ns]`, `[ns, tz]`, `[ns, tz, layout]`: OPA reads time.format's form for every time.* built-in. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function nsArg(name: string, v: unknown): { ns: bigint; tz: string; layout?: string } {
  const r = nsArgs(name, v);
  if (r.ns < INT64_MIN || r.ns > INT64_MAX) throw builtinError(name, "timestamp too big");
  return r;
}

function nsArgs(name: string, v: unknown): { ns: bigint; tz: string; layout?: string } {
  if (typeof v === "number" || typeof v === "bigint") return { ns: toNs(name, v), tz: "UTC" };
  if (Array.isArray(v) && v.length >= 1) {
    const ns = toNs(name, v[0], "the first element of operand 1");
    if (v.length === 1) return { ns, tz: "UTC" };
    if (typeof v[1] !== "string") throw builtinError(name, `operand 1's time zone must be a string, got ${typeName(v[1])}`);
    if (v.length === 2) return { ns, tz: v[1] };
    if (typeof v[2] !== "string") throw builtinError(name, `operand 1's layout must be a string, got ${typeName(v[2])}`);
    return { ns, tz: v[1], layout: v[2] };
  }
  throw builtinError(name, `operand 1 must be a number or an array [ns, tz] or [ns, tz, layout], got ${typeName(v)}`);
}

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
  Kitchen: "3:04PM",
  Stamp: "Jan _2 15:04:05",
  StampMilli: "Jan _2 15:04:05.000",
  StampMicro: "Jan _2 15:04:05.000000",
  StampNano: "Jan _2 15:04:05.000000000",
  DateTime: "2006-01-02 15:04:05",
  DateOnly: "2006-01-02",
  TimeOnly: "15:04:05",
};

// Longest first, so "January" wins over "Jan" and "2006" over "2".
const TOKENS = [
  "January", "Monday", "Z07:00:00", "-07:00:00", "Z07:00", "-07:00", "Z0700", "-0700", "2006", "Jan", "Mon", "MST",
  "002", "__2", "Z07", "-07", "01", "02", "_2", "06", "15", "03", "04", "05", "PM", "pm", "1", "2", "3", "4", "5",
];

type Piece = { lit: string } | { tok: string } | { frac: string; digits: number; trim: boolean };

function tokenize(layout: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  let lit = "";
  const flush = (): void => {
    if (lit) out.push({ lit });
    lit = "";
  };
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac && /^[.,]/.test(layout[i]!) && /05$|5$/.test(layout.slice(0, i))) {
      flush();
      out.push({ frac: layout[i]!, digits: frac[1]!.length, trim: frac[1]![0] === "9" });
      i += frac[0].length;
      continue;
    }
    const tok = TOKENS.find((t) => layout.startsWith(t, i));
    if (tok) {
      flush();
      out.push({ tok });
      i += tok.length;
      continue;
    }
    lit += layout[i++];
  }
  flush();
  return out;
}

const p2 = (n: number): string => String(n).padStart(2, "0");

function offsetText(off: number, sep: string, z: boolean, withSeconds: boolean, hoursOnly: boolean): string {
  if (z && off === 0) return "Z";
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  let s = sign + p2(Math.floor(a / 3600));
  if (hoursOnly) return s;
  s += sep + p2(Math.floor((a % 3600) / 60));
  if (withSeconds) s += sep + p2(a % 60);
  return s;
}

export function formatGo(c: Civil, layout: string): string {
  let out = "";
  for (const p of tokenize(NAMED_LAYOUTS[layout] ?? layout)) {
    if ("lit" in p) out += p.lit;
    else if ("frac" in p) {
      let d = String(c.nanos).padStart(9, "0").slice(0, p.digits);
      if (p.trim) d = d.replace(/0+$/, "");
      if (d) out += p.frac + d;
    } else {
      const h12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
      switch (p.tok) {
        case "2006": out += String(c.year).padStart(4, "0"); break;
        case "06": out += p2(c.year % 100); break;
        case "January": out += MONTHS[c.month - 1]; break;
        case "Jan": out += MONTHS[c.month - 1]!.slice(0, 3); break;
        case "01": out += p2(c.month); break;
        case "1": out += String(c.month); break;
        case "Monday": out += DAYS[c.weekday]; break;
        case "Mon": out += DAYS[c.weekday]!.slice(0, 3); break;
        case "02": out += p2(c.day); break;
        case "_2": out += String(c.day).padStart(2, " "); break;
        case "2": out += String(c.day); break;
        case "002": out += String(c.yday).padStart(3, "0"); break;
        case "__2": out += String(c.yday).padStart(3, " "); break;
        case "15": out += p2(c.hour); break;
        case "03": out += p2(h12); break;
        case "3": out += String(h12); break;
        case "04": out += p2(c.minute); break;
        case "4": out += String(c.minute); break;
        case "05": out += p2(c.second); break;
        case "5": out += String(c.second); break;
        case "PM": out += c.hour >= 12 ? "PM" : "AM"; break;
        case "pm": out += c.hour >= 12 ? "pm" : "am"; break;
        case "MST": out += c.zone === "UTC" ? "UTC" : offsetText(c.offset, "", false, false, false); break;
        case "Z07:00:00": out += offsetText(c.offset, ":", true, true, false); break;
        case "-07:00:00": out += offsetText(c.offset, ":", false, true, false); break;
        case "Z07:00": out += offsetText(c.offset, ":", true, false, false); break;
        case "-07:00": out += offsetText(c.offset, ":", false, false, false); break;
        case "Z0700": out += offsetText(c.offset, "", true, false, false); break;
        case "-0700": out += offsetText(c.offset, "", false, false, false); break;
        case "Z07": out += offsetText(c.offset, "", true, false, true); break;
        case "-07": out += offsetText(c.offset, "", false, false, true); break;
      }
    }
  }
  return out;
}

/** Parses `value` with a Go layout; numeric offsets and Z only (zone abbreviations other than UTC are refused). */
export function parseGo(name: string, layout: string, value: string): bigint {
  const pieces = tokenize(NAMED_LAYOUTS[layout] ?? layout);
  let i = 0;
  let year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0n, offset = 0, pm: boolean | undefined;
  const bad = (what: string): never => {
    throw builtinError(name, `cannot parse ${JSON.stringify(value)} as ${JSON.stringify(layout)}: ${what}`);
  };
  const digits = (min: number, max: number): number => {
    const m = new RegExp(`^[0-9]{${min},${max}}`).exec(value.slice(i));
    if (!m) return bad(`expected ${min === max ? min : `${min}-${max}`} digits at position ${i}`);
    i += m[0].length;
    return Number(m[0]);
  };
  const word = (list: string[], len?: number): number => {
    const idx = list.findIndex((w) => value.slice(i, i + (len ?? w.length)).toLowerCase() === (len ? w.slice(0, len) : w).toLowerCase());
    if (idx < 0) return bad(`expected a name at position ${i}`);
    i += len ?? list[idx]!.length;
    return idx;
  };
  const off = (z: boolean, sep: boolean, hoursOnly: boolean): void => {
    if (z && value[i] === "Z") {
      i++;
      offset = 0;
      return;
    }
    const sign = value[i] === "-" ? -1 : value[i] === "+" ? 1 : bad(`expected a time zone offset at position ${i}`);
    i++;
    const h = digits(2, 2);
    let m = 0;
    if (!hoursOnly) {
      if (sep) value[i] === ":" ? i++ : bad(`expected ':' at position ${i}`);
      m = digits(2, 2);
    }
    offset = sign * (h * 3600 + m * 60);
  };
  for (const p of pieces) {
    if ("lit" in p) {
      if (!value.startsWith(p.lit, i)) bad(`expected ${JSON.stringify(p.lit)} at position ${i}`);
      i += p.lit.length;
    } else if ("frac" in p) {
      const m = /^[.,]([0-9]+)/.exec(value.slice(i));
      if (m) {
        nanos = BigInt(m[1]!.slice(0, 9).padEnd(9, "0"));
        i += m[0].length;
      } else if (!p.trim) bad(`expected fractional seconds at position ${i}`);
    } else {
      switch (p.tok) {
        case "2006": year = digits(4, 4); break;
        case "06": year = 2000 + digits(2, 2); if (year >= 2069) year -= 100; break;
        case "January": month = word(MONTHS) + 1; break;
        case "Jan": month = word(MONTHS, 3) + 1; break;
        case "01": month = digits(2, 2); break;
        case "1": month = digits(1, 2); break;
        case "Monday": word(DAYS); break;
        case "Mon": word(DAYS, 3); break;
        case "02": day = digits(2, 2); break;
        case "_2": if (value[i] === " ") i++; day = digits(1, 2); break;
        case "2": day = digits(1, 2); break;
        case "002": case "__2": digits(1, 3); break;
        case "15": hour = digits(1, 2); break;
        case "03": hour = digits(2, 2); break;
        case "3": hour = digits(1, 2); break;
        case "04": minute = digits(2, 2); break;
        case "4": minute = digits(1, 2); break;
        case "05": second = digits(2, 2);
          { const m = /^[.,]([0-9]+)/.exec(value.slice(i)); const nextIsFrac = pieces[pieces.indexOf(p) + 1]; if (m && !(nextIsFrac && "frac" in nextIsFrac)) { nanos = BigInt(m[1]!.slice(0, 9).padEnd(9, "0")); i += m[0].length; } }
          break;
        case "5": second = digits(1, 2); break;
        case "PM": case "pm": {
          const ap = value.slice(i, i + 2).toUpperCase();
          if (ap !== "AM" && ap !== "PM") bad(`expected AM or PM at position ${i}`);
          pm = ap === "PM";
          i += 2;
          break;
        }
        case "MST": {
          const m = /^[A-Z]{3,5}/.exec(value.slice(i));
          if (!m) bad(`expected a time zone name at position ${i}`);
          if (m![0] !== "UTC" && m![0] !== "GMT") bad(`time zone ${m![0]} is ambiguous; use a numeric offset`);
          i += m![0].length;
          break;
        }
        case "Z07:00:00": case "Z07:00": off(true, true, false); break;
        case "-07:00:00": case "-07:00": off(false, true, false); break;
        case "Z0700": off(true, false, false); break;
        case "-0700": off(false, false, false); break;
        case "Z07": off(true, false, true); break;
        case "-07": off(false, false, true); break;
      }
    }
  }
  if (i !== value.length) bad(`extra text ${JSON.stringify(value.slice(i))}`);
  if (pm !== undefined) {
    if (hour < 1 || hour > 12) bad("hour out of range");
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (month < 1 || month > 12) bad("month out of range");
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > dim) bad("day out of range");
  if (hour > 23 || minute > 59 || second > 59) bad("time out of range");
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  const ns = (BigInt(utc.getTime()) - BigInt(offset) * 1000n) * NS_PER_MS + nanos;
  // OPA's answers are int64 nanoseconds: 1677-09-21 to 2262-04-11.
  if (ns < INT64_MIN || ns > INT64_MAX) bad("time outside of valid range");
  return ns;
}

const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, "µs": 1000n, "μs": 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Go's time.ParseDuration. */
export function parseDuration(name: string, s: string): bigint {
  const bad = (): never => {
    throw builtinError(name, `invalid duration ${JSON.stringify(s)}`);
  };
  let rest = s;
  let neg = false;
  if (rest[0] === "-" || rest[0] === "+") {
    neg = rest[0] === "-";
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") bad();
  let total = 0n;
  while (rest !== "") {
    const m = /^([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) return bad();
    const unit = UNITS[m[3]!]!;
    const whole = BigInt(m[1] || "0") * unit;
    const fracDigits = m[2] ?? "";
    const frac = fracDigits ? (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length) : 0n;
    total += whole + frac;
    rest = rest.slice(m[0].length);
  }
  return neg ? -total : total;
}

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;

export function parseRfc3339(name: string, s: string): bigint {
  const m = RFC3339.exec(s);
  if (!m) throw builtinError(name, `cannot parse ${JSON.stringify(s)} as RFC 3339`);
  return parseGo(name, "2006-01-02T15:04:05Z07:00", s.replace(/^(.{10})t/, "$1T").replace(/z$/, "Z"));
}

function nowNs(ctx: HostContext): bigint {
  ctx.nowNs ??= BigInt(Date.now()) * NS_PER_MS;
  return ctx.nowNs;
}

/** time.diff: the calendar difference, larger time first, as Go's AddDate would walk it. */
function diff(a: Civil, b: Civil): number[] {
  let [y, mo, d, h, mi, s] = [a.year - b.year, a.month - b.month, a.day - b.day, a.hour - b.hour, a.minute - b.minute, a.second - b.second];
  if (s < 0) { s += 60; mi--; }
  if (mi < 0) { mi += 60; h--; }
  if (h < 0) { h += 24; d--; }
  if (d < 0) {
    d += new Date(Date.UTC(b.year, b.month, 0)).getUTCDate();
    mo--;
  }
  if (mo < 0) { mo += 12; y--; }
  return [y, mo, d, h, mi, s];
}

export const timeBuiltins: HostBuiltinImpl<"time">[] = [
  { name: "time.now_ns", impl: (_a, ctx) => nowNs(ctx) },
  { name: "time.parse_rfc3339_ns", impl: (a) => parseRfc3339("time.parse_rfc3339_ns", str("time.parse_rfc3339_ns", a, 0)) },
  { name: "time.parse_duration_ns", impl: (a) => parseDuration("time.parse_duration_ns", str("time.parse_duration_ns", a, 0)) },
  { name: "time.parse_ns", impl: (a) => parseGo("time.parse_ns", str("time.parse_ns", a, 0), str("time.parse_ns", a, 1)) },
  {
    name: "time.format",
    impl: (a) => {
      const { ns, tz, layout } = nsArg("time.format", a[0]);
      return formatGo(civil("time.format", ns, tz), layout ?? "RFC3339Nano");
    },
  },
  {
    name: "time.date",
    impl: (a) => {
      const { ns, tz } = nsArg("time.date", a[0]);
      const c = civil("time.date", ns, tz);
      return [c.year, c.month, c.day];
    },
  },
  {
    name: "time.clock",
    impl: (a) => {
      const { ns, tz } = nsArg("time.clock", a[0]);
      const c = civil("time.clock", ns, tz);
      return [c.hour, c.minute, c.second];
    },
  },
  {
    name: "time.weekday",
    impl: (a) => {
      const { ns, tz } = nsArg("time.weekday", a[0]);
      return DAYS[civil("time.weekday", ns, tz).weekday];
    },
  },
  {
    name: "time.add_date",
    impl: (a) => {
      const n = "time.add_date";
      const { ns, tz } = nsArg(n, a[0]);
      const c = civil(n, ns, tz);
      const [y, m, d] = [1, 2, 3].map((i) => {
        const v = a[i];
        if (typeof v === "bigint") return Number(v);
        if (typeof v !== "number" || !Number.isInteger(v)) throw builtinError(n, `operand ${i + 1} must be an integer, got ${typeName(v)}`);
        return v;
      }) as [number, number, number];
      // Go's AddDate: add to the wall-clock fields, normalise, then time.Date in the zone.
      const wall = new Date(0);
      wall.setUTCFullYear(c.year + y, c.month - 1 + m, c.day + d);
      wall.setUTCHours(c.hour, c.minute, c.second, 0);
      if (Number.isNaN(wall.getTime())) throw builtinError(n, "time outside of valid range");
      const wallSeconds = wall.getTime() / 1000;
      const out = BigInt(wallSeconds - zoneOffset(n, tz, wallSeconds, true)) * NS_PER_SEC + BigInt(c.nanos);
      if (out > 9_223_372_036_854_775_807n || out < -9_223_372_036_854_775_808n) throw builtinError(n, "time outside of valid range");
      return out;
    },
  },
  {
    name: "time.diff",
    impl: (a) => {
      const n = "time.diff";
      const x = nsArg(n, a[0]);
      const y = nsArg(n, a[1]);
      const cx = civil(n, x.ns, x.tz);
      // OPA loads the second operand's zone too (an unknown one is an error), then reads both times in the first one's.
      if (y.tz !== x.tz) civil(n, y.ns, y.tz);
      const cy = civil(n, y.ns, x.tz);
      return x.ns < y.ns ? diff(cy, cx) : diff(cx, cy);
    },
  },
];
