// Time zones for the time.* built-ins, named as OPA names them (Go's
// time.LoadLocation: "" and "UTC" are UTC, "Local" the machine's zone, anything
// else an IANA name) and answered from the ICU zone data behind Intl. Also the
// host built-in the Wasm runtime asks for offsets ($capgate.tz_offset), so both
// paths read zones the same way.
import { TZ_OFFSET_BUILTIN } from "../../wasm-abi/index.js";
import { builtinError, type HostBuiltinImpl } from "./types.js";

const PARTS: Intl.DateTimeFormatOptions = {
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
};

// Zone names come from input and Intl ignores letter case, so callers can mint
// new accepted spellings ("US/EaStErN"): the cache is cleared rather than allowed
// to grow past this.
const CACHE_LIMIT = 1024;
const formatters = new Map<string, Intl.DateTimeFormat>();
// What a JavaScript Date can hold; int64 nanoseconds stay far inside it.
const MAX_DATE_SECONDS = 8.64e12;

/** The formatter reading instants in zone `tz`, or Go's error text for a name LoadLocation refuses. */
function formatter(tz: string): Intl.DateTimeFormat | string {
  const cached = formatters.get(tz);
  if (cached) return cached;
  const f = load(tz);
  if (typeof f === "string") return f;
  if (formatters.size >= CACHE_LIMIT) formatters.clear();
  formatters.set(tz, f);
  return f;
}

function load(tz: string): Intl.DateTimeFormat | string {
  // The zone of the process (TZ), read once like Go's time.Local.
  if (tz === "Local") return new Intl.DateTimeFormat("en-US", PARTS);
  if (tz.includes("..") || tz.startsWith("/") || tz.startsWith("\\")) return "time: invalid location name";
  const unknown = `unknown time zone ${tz}`;
  // Go opens a file named exactly `tz`, so "america/new_york" is unknown there
  // while Intl ignores case. Every part of a zone name starts with a capital
  // (which also refuses the UTC offsets, "+05:30", newer engines take as zones),
  // and Intl reports a name's canonical spelling: between them only a miscased
  // alias with capitals in place ("US/eastern") gets through.
  if (!tz.split("/").every((part) => /^[A-Z]/.test(part))) return unknown;
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat("en-US", { ...PARTS, timeZone: tz });
  } catch {
    return unknown;
  }
  const canonical = f.resolvedOptions().timeZone;
  if (canonical !== tz && canonical.toLowerCase() === tz.toLowerCase()) return unknown;
  return f;
}

/** Seconds east of UTC in zone `tz` at `seconds` since the epoch, or Go's error text. */
export function offsetAt(tz: string, seconds: number): number | string {
  if (tz === "" || tz === "UTC") return 0;
  const f = formatter(tz);
  if (typeof f === "string") return f;
  if (!(Math.abs(seconds) <= MAX_DATE_SECONDS)) return "time outside of valid range";
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(new Date(seconds * 1000))) p[x.type] = Number(x.value);
  const wall = new Date(0);
  wall.setUTCFullYear(p["year"]!, p["month"]! - 1, p["day"]!);
  wall.setUTCHours(p["hour"]!, p["minute"]!, p["second"]!);
  return wall.getTime() / 1000 - seconds;
}

/**
 * The offset Go's time.Date gives wall-clock time `wall` (seconds since
 * 1970-01-01T00:00 in the zone): the zone's offset at `wall` read as UTC,
 * corrected once by looking again at the instant that offset names. In a gap
 * (clocks going forward) or an overlap (going back) this picks one side the way
 * Go does, which depends on the side of UTC the zone is on.
 */
export function offsetForWall(tz: string, wall: number): number | string {
  const guess = offsetAt(tz, wall);
  return typeof guess === "string" ? guess : offsetAt(tz, wall - guess);
}

/** offsetAt or offsetForWall for a built-in, throwing its error. */
export function zoneOffset(name: string, tz: string, seconds: number, wall = false): number {
  const o = wall ? offsetForWall(tz, seconds) : offsetAt(tz, seconds);
  if (typeof o === "string") throw builtinError(name, o);
  return o;
}

export const timeZoneBuiltins: HostBuiltinImpl<"time-zone">[] = [
  {
    name: TZ_OFFSET_BUILTIN,
    // Called by the runtime only, with (zone, integer seconds, boolean); an
    // unknown zone is answered as text, which the runtime reports under the
    // name of the built-in the policy called.
    impl: ([tz, seconds, wall]) => {
      if (typeof tz !== "string" || typeof seconds !== "number" || !Number.isSafeInteger(seconds) || typeof wall !== "boolean") {
        throw builtinError(TZ_OFFSET_BUILTIN, "expects (zone string, integer seconds, boolean)");
      }
      return wall ? offsetForWall(tz, seconds) : offsetAt(tz, seconds);
    },
  },
];
