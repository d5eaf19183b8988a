// uuid.rfc4122: a random (version 4) UUID that stays the same for the same key
// within one evaluation, as OPA caches it per query.
import { randomUUID } from "node:crypto";
import { str, type HostBuiltinImpl } from "./types.js";

/** 32 hex digits without dashes, which Google's uuid.Parse also takes. */
const UUID_PLAIN = /^([0-9a-fA-F]{8})([0-9a-fA-F]{4})([0-9a-fA-F]{4})([0-9a-fA-F]{4})([0-9a-fA-F]{12})$/;
const UUID = /^(?:urn:uuid:)?\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;
/** 100-ns intervals between the Gregorian reform (1582-10-15) and the Unix epoch. */
const GREGORIAN_OFFSET = 122192928000000000n;
const DOMAINS = ["Person", "Group", "Org"];

/** uuid.parse as OPA (Google's uuid package): version, variant and, per version, time, clock sequence, node. */
function parseUuid(s: string): Record<string, unknown> | undefined {
  const m = UUID.exec(s) ?? UUID_PLAIN.exec(s);
  if (!m) return undefined;
  const hex = m.slice(1, 6).join("").toLowerCase();
  const b = Buffer.from(hex, "hex");
  const version = b[6]! >> 4;
  const v = b[8]!;
  const variant = (v & 0xc0) === 0x80 ? "RFC4122" : (v & 0xe0) === 0xc0 ? "Microsoft" : (v & 0x80) === 0 ? "Reserved" : "Future";
  const out: Record<string, unknown> = { version, variant };
  const node = (): void => {
    out["nodeid"] = [...b.subarray(10, 16)].map((x) => x.toString(16).padStart(2, "0")).join("-");
    const first = b[10]!;
    out["macvariables"] = `${first & 0x02 ? "local" : "global"}:${first & 0x01 ? "multicast" : "unicast"}`;
    out["clocksequence"] = ((b[8]! & 0x3f) << 8) | b[9]!;
  };
  if (version === 1 || version === 2) {
    const low = BigInt(b.readUInt32BE(0));
    const mid = BigInt(b.readUInt16BE(4));
    const high = BigInt(b.readUInt16BE(6) & 0x0fff);
    const t = (high << 48n) | (mid << 32n) | low;
    out["time"] = (t - GREGORIAN_OFFSET) * 100n;
    node();
    if (version === 2) {
      out["domain"] = DOMAINS[b[9]!] ?? `Domain${b[9]}`;
      out["id"] = Number(low);
    }
  } else if (version === 6) {
    const t = (BigInt(b.readUInt32BE(0)) << 28n) | (BigInt(b.readUInt16BE(4)) << 12n) | BigInt(b.readUInt16BE(6) & 0x0fff);
    out["time"] = (t - GREGORIAN_OFFSET) * 100n;
  } else if (version === 7) {
    out["time"] = BigInt(b.readUIntBE(0, 6)) * 1_000_000n;
  }
  return out;
}

export const uuidBuiltins: HostBuiltinImpl<"uuid">[] = [
  { name: "uuid.parse", impl: (a) => parseUuid(str("uuid.parse", a, 0)) },
  {
    name: "uuid.rfc4122",
    impl: (a, ctx) => {
      const key = str("uuid.rfc4122", a, 0);
      ctx.uuids ??= new Map();
      let u = ctx.uuids.get(key);
      if (u === undefined) {
        u = randomUUID();
        ctx.uuids.set(key, u);
      }
      return u;
    },
  },
];
